import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select

from assistant import chat as chat_module
from assistant import delivery
from assistant.extensions import db
from assistant.models import Conversation
from assistant.models import OutboxMessage
from assistant.models import PortRequest
from assistant.models import RequestNumber
from assistant.models import StatusEvent
from tests.conftest import Chat
from tests.test_security_secrets import walk_to_review

SIGNATURE = {"form": {"signature_name": "Jane Doe", "signature_consent": True}}


@pytest.fixture
def turns_meet(monkeypatch):
    """Hold every chat turn until `parties` of them have loaded the conversation."""
    real = chat_module.run_turn

    def arrange(parties: int) -> threading.Barrier:
        barrier = threading.Barrier(parties, timeout=60)

        def run_turn_together(conversation, event, request_info):
            barrier.wait()
            return real(conversation, event, request_info)

        monkeypatch.setattr(chat_module, "run_turn", run_turn_together)
        return barrier

    return arrange


def send_together(app, chat: Chat, bodies: list[dict]) -> list:
    """Send each body from its own thread and client; return the responses in order."""
    responses = [None] * len(bodies)

    def send(index: int, body: dict) -> None:
        responses[index] = app.test_client().post(
            f"/api/conversations/{chat.id}/messages", json=body, headers=chat.headers
        )

    threads = [
        threading.Thread(target=send, args=(index, body))
        for index, body in enumerate(bodies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return responses


SAID = {"Talk to a person": "human", "Check a request": "status"}


def user_lines(app, conversation_id: str) -> list[str]:
    """The customer's lines of the transcript, as the choice ids that were sent."""
    with app.app_context():
        conversation = db.session.get(Conversation, conversation_id)
        return [
            SAID.get(m["text"], m["text"])
            for m in conversation.transcript
            if m["role"] == "user"
        ]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_two_racing_messages_one_wins_the_other_gets_a_retryable_stale(
    any_db_app, turns_meet
):
    chat = Chat(any_db_app.test_client())
    turns_meet(2)

    responses = send_together(
        any_db_app, chat, [{"choice": "human"}, {"choice": "status"}]
    )

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.get_json()["error"]["code"] == "stale"
    assert "send yours again" in loser.get_json()["error"]["message"]
    winner = next(r for r in responses if r.status_code == 200)
    assert user_lines(any_db_app, chat.id) == [
        "human" if winner.get_json()["state"] == "human" else "status"
    ]


def test_a_stale_message_sent_again_is_applied_and_nothing_is_lost(
    any_db_app, turns_meet
):
    chat = Chat(any_db_app.test_client())
    turns_meet(2)
    bodies = [{"choice": "human"}, {"choice": "status"}]
    responses = send_together(any_db_app, chat, bodies)
    lost = bodies[[r.status_code for r in responses].index(409)]
    kept = bodies[[r.status_code for r in responses].index(200)]
    turns_meet(1)

    again = chat.post(lost)

    assert again["state"] == lost["choice"]
    assert user_lines(any_db_app, chat.id) == [kept["choice"], lost["choice"]]
    with any_db_app.app_context():
        assert db.session.get(Conversation, chat.id).version == 3


def test_many_clients_retrying_on_stale_lose_no_message(any_db_app):
    chat = Chat(any_db_app.test_client())
    senders, each = 6, 3
    outcomes = {"stale": 0}

    def send(sender: int) -> None:
        client = any_db_app.test_client()
        for turn in range(each):
            body = {"choice": "human" if (sender + turn) % 2 else "status"}
            while True:
                response = client.post(
                    f"/api/conversations/{chat.id}/messages",
                    json=body,
                    headers=chat.headers,
                )
                if response.status_code == 200:
                    break
                assert response.status_code == 409, response.get_json()
                assert response.get_json()["error"]["code"] == "stale"
                outcomes["stale"] += 1

    threads = [threading.Thread(target=send, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    lines = user_lines(any_db_app, chat.id)
    assert len(lines) == senders * each
    assert sorted(set(lines)) == ["human", "status"]
    with any_db_app.app_context():
        assert db.session.get(Conversation, chat.id).version == 1 + senders * each


def test_a_double_clicked_signature_makes_exactly_one_request(any_db_app, turns_meet):
    chat = Chat(any_db_app.test_client())
    walk_to_review(chat)
    chat.choose("submit")
    turns_meet(2)

    responses = send_together(any_db_app, chat, [SIGNATURE, SIGNATURE])
    turns_meet(1)

    assert sorted(r.status_code for r in responses) in ([200, 200], [200, 409])
    for response in responses:
        if response.status_code == 409:
            assert response.get_json()["error"]["code"] == "stale"
    references = {r.get_json()["reference"] for r in responses if r.status_code == 200}
    again = chat.post(SIGNATURE)
    assert references == {again["reference"]}
    assert count(any_db_app, PortRequest) == 1
    assert count(any_db_app, RequestNumber) == 1
    assert count(any_db_app, OutboxMessage) == 2


def test_an_error_after_the_request_row_is_added_leaves_nothing_behind(
    any_db_app, monkeypatch
):
    chat = Chat(any_db_app.test_client())
    walk_to_review(chat)
    chat.choose("submit")
    real_queue = delivery.queue_submission

    def queue_then_fail(request, documents):
        real_queue(request, documents)
        db.session.flush()
        raise ConnectionResetError("worker lost mid-request")

    monkeypatch.setattr(delivery, "queue_submission", queue_then_fail)
    failed = chat.client.post(
        f"/api/conversations/{chat.id}/messages", json=SIGNATURE, headers=chat.headers
    )

    assert failed.status_code == 500
    assert failed.get_json()["error"]["code"] == "server_error"
    for model in (PortRequest, RequestNumber, StatusEvent, OutboxMessage):
        assert count(any_db_app, model) == 0, model.__name__
    with any_db_app.app_context():
        conversation = db.session.get(Conversation, chat.id)
        assert conversation.state == "sign"
        assert "reference" not in conversation.slots

    monkeypatch.setattr(delivery, "queue_submission", real_queue)
    reply = chat.post(SIGNATURE)
    assert reply["state"] == "submitted"
    assert count(any_db_app, PortRequest) == 1
    assert count(any_db_app, OutboxMessage) == 2
