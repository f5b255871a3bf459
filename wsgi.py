from assistant import create_app
from assistant import warm_up

app = create_app()
warm_up(app)
