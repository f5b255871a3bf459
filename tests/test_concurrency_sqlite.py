import sqlite3
import threading
import time

from sqlalchemy import text

from assistant import chat as chat_module
from assistant.extensions import db
from tests.conftest import Chat


def database_file(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")


def test_every_sqlite_connection_runs_in_wal_mode_with_a_busy_timeout(app):
    with app.app_context():
        connection = db.session.connection()
        journal = connection.execute(text("PRAGMA journal_mode")).scalar()
        timeout = connection.execute(text("PRAGMA busy_timeout")).scalar()
        foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar()

    assert (journal, timeout, foreign_keys) == ("wal", 30000, 1)


def test_a_reader_is_not_blocked_while_another_connection_holds_the_write_lock(app):
    chat = Chat(app.test_client())
    writer = sqlite3.connect(database_file(app), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        response = app.test_client().get(
            f"/api/conversations/{chat.id}", headers=chat.headers
        )
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    assert response.status_code == 200
    assert response.get_json()["state"] == "welcome"


def test_a_message_waits_for_another_writer_instead_of_failing(app, monkeypatch):
    chat = Chat(app.test_client())
    turning = threading.Event()
    real_turn = chat_module.run_turn

    def announce_then_turn(conversation, event, request_info):
        turning.set()
        return real_turn(conversation, event, request_info)

    monkeypatch.setattr(chat_module, "run_turn", announce_then_turn)
    writer = sqlite3.connect(database_file(app), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    result = {}

    def send() -> None:
        result["response"] = app.test_client().post(
            f"/api/conversations/{chat.id}/messages",
            json={"choice": "port"},
            headers=chat.headers,
        )

    sender = threading.Thread(target=send)
    sender.start()
    try:
        assert turning.wait(30)
        # Give the turn time to reach the lock; without a busy timeout its write
        # would fail at once with "database is locked".
        time.sleep(0.5)
        assert sender.is_alive(), "the message did not wait for the lock"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        sender.join(60)

    assert result["response"].status_code == 200, result["response"].get_json()
    assert result["response"].get_json()["state"] == "numbers"
