from assistant import create_app

app = create_app()
