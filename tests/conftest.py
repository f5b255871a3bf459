import io
import os
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from flask_migrate import upgrade
from sqlalchemy import create_engine
from sqlalchemy import text

from assistant import create_app
from assistant.extensions import db

POSTGRES_URL = os.environ.get(
    "ASSISTANT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def make_config(tmp_path: Path, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SERVER": "",
    }
    config.update(overrides)
    return config


@pytest.fixture
def postgres_schema():
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    yield url
    with engine.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def build_app(config: dict):
    app = create_app(config)
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def app(tmp_path):
    app = build_app(make_config(tmp_path))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_app(request, tmp_path):
    """The app on SQLite and on PostgreSQL, for tests that must pass on both."""
    overrides = {}
    if request.param == "postgresql":
        overrides["SQLALCHEMY_DATABASE_URI"] = request.getfixturevalue(
            "postgres_schema"
        )
    app = build_app(make_config(tmp_path, **overrides))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


class Chat:
    """Drives one conversation through the JSON interface."""

    def __init__(self, client):
        self.client = client
        response = client.post("/api/conversations", json={})
        assert response.status_code == 201, response.get_json()
        self.last = response.get_json()
        self.id = self.last["id"]
        self.token = self.last["token"]

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def state(self) -> str:
        return self.last["state"]

    def post(self, body, status: int = 200) -> dict:
        response = self.client.post(
            f"/api/conversations/{self.id}/messages", json=body, headers=self.headers
        )
        assert response.status_code == status, response.get_json()
        if status == 200:
            self.last = response.get_json()
        return response.get_json()

    def text(self, value: str, status: int = 200) -> dict:
        return self.post({"text": value}, status)

    def choose(self, value: str, status: int = 200) -> dict:
        return self.post({"choice": value}, status)

    def form(self, status: int = 200, **values) -> dict:
        return self.post({"form": values}, status)

    def upload(self, kind: str, data: bytes, filename: str, status: int = 201) -> dict:
        response = self.client.post(
            f"/api/conversations/{self.id}/documents",
            data={"kind": kind, "file": (io.BytesIO(data), filename)},
            headers=self.headers,
            content_type="multipart/form-data",
        )
        assert response.status_code == status, response.get_json()
        if status == 201:
            self.last = response.get_json()
        return response.get_json()

    def said(self) -> str:
        return "\n".join(m["text"] for m in self.last.get("messages", []))


@pytest.fixture
def chat(client):
    return Chat(client)
