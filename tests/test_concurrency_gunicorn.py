import os
import re
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet
from sqlalchemy import create_engine
from sqlalchemy import text

from tests import docgen
from tests.intake_data import LOA_DETAILS
from tests.test_security_secrets import SECRET_PROVIDER

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
CUSTOMERS = 50
SIGNATURE = {"form": {"signature_name": "Jane Doe", "signature_consent": True}}
# A worker module that dies, like a worker killed by the OOM killer or a deploy,
# right after the request row and its e-mails were written but before the commit.
KILLING_WSGI = """
import os
import signal

from assistant import create_app
from assistant import delivery
from assistant.extensions import db

app = create_app()
_queue = delivery.queue_submission


def queue_then_die(request, documents):
    _queue(request, documents)
    db.session.flush()
    flag = os.environ["KILL_FLAG"]
    if os.path.exists(flag):
        os.remove(flag)
        os.kill(os.getpid(), signal.SIGKILL)


delivery.queue_submission = queue_then_die
"""


def server_environment(tmp_path: Path, database_url: str, **extra) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ASSISTANT_")
    }
    env.update(
        ASSISTANT_DATABASE_URL=database_url,
        ASSISTANT_INSTANCE_PATH=str(tmp_path / "instance"),
        ASSISTANT_SECRET_KEY="gunicorn-test-secret",
        ASSISTANT_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ASSISTANT_MAIL_SERVER="",
        # Every simulated customer has its own address, as a load balancer reports.
        ASSISTANT_TRUSTED_PROXIES="1",
        PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
        **extra,
    )
    return env


def set_up_database(env: dict) -> None:
    subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", "setup"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


@contextmanager
def gunicorn(env: dict, workers: int, module: str = "wsgi:app"):
    """A gunicorn server on a free port; yields its base URL."""
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            "127.0.0.1:0",
            "--graceful-timeout",
            "5",
            module,
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    listening = threading.Event()
    found = {}
    log: list[str] = []

    def read_log() -> None:
        for line in process.stderr:
            log.append(line)
            match = re.search(r"Listening at: (http://\S+)", line)
            if match:
                found["url"] = match.group(1)
                listening.set()
        listening.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        # Once the socket listens, requests queue until a worker takes them.
        assert listening.wait(60) and "url" in found, "".join(log)
        yield found["url"], log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(10)
        process.stderr.close()


class Customer:
    """One simulated customer: a session of its own and an address of its own."""

    def __init__(self, base: str, index: int):
        self.base = base
        self.session = requests.Session()
        self.session.headers["X-Forwarded-For"] = f"198.51.100.{index + 1}"
        self.number = f"(415) 867-53{index:02d}"
        created = self.call("post", "/api/conversations", json={}, expect=201)
        self.id, token = created["id"], created["token"]
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.state = created["state"]

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        response = self.session.request(method, self.base + path, timeout=60, **kwargs)
        assert response.status_code == expect, (path, response.text)
        body = response.json()
        self.state = body.get("state", getattr(self, "state", None))
        return body

    def send(self, body: dict) -> dict:
        return self.call("post", f"/api/conversations/{self.id}/messages", json=body)

    def upload_bill(self) -> dict:
        bill = docgen.text_pdf_bill(
            docgen.Bill(numbers=(self.number,), lines=("Mobile",))
        )
        return self.call(
            "post",
            f"/api/conversations/{self.id}/documents",
            expect=201,
            data={"kind": "bill"},
            files={"file": ("bill.pdf", bill, "application/pdf")},
        )

    def walk_to_sign(self) -> None:
        self.send({"choice": "port"})
        self.send({"text": self.number})
        self.send({"choice": "mobile"})
        self.send({"choice": "yes"})
        self.send({"choice": "none"})
        self.send({"form": SECRET_PROVIDER})
        self.send({"choice": "no"})
        self.send({"form": LOA_DETAILS})
        assert self.state == "documents", self.state
        self.upload_bill()
        self.send({"choice": "skip"})
        self.send({"choice": "submit"})
        assert self.state == "sign", self.state

    def complete_intake(self) -> tuple[str, str, str]:
        self.walk_to_sign()
        reference = self.send(SIGNATURE)["reference"]
        # A second click on "sign" must give the same request, not a new one.
        assert self.send(SIGNATURE)["reference"] == reference
        return self.id, reference, self.number


def rows(database_url: str, sql: str) -> list:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
def test_fifty_customers_at_once_through_gunicorn_lose_and_duplicate_nothing(
    tmp_path, postgres_schema
):
    env = server_environment(tmp_path, postgres_schema)
    set_up_database(env)

    with gunicorn(env, workers=4) as (base, log):
        customers = [Customer(base, index) for index in range(CUSTOMERS)]
        with ThreadPoolExecutor(max_workers=CUSTOMERS) as pool:
            results = list(pool.map(Customer.complete_intake, customers))

    assert "Traceback" not in "".join(log)
    stored = rows(
        postgres_schema,
        "SELECT r.conversation_id, r.reference, n.e164 FROM port_request r "
        "JOIN request_number n ON n.request_id = r.id",
    )
    expected = {
        (conversation, reference, "+1415867" + number[-4:])
        for conversation, reference, number in results
    }
    assert len(stored) == CUSTOMERS
    assert set(stored) == expected
    assert len({reference for _, reference, _ in results}) == CUSTOMERS
    mails = rows(postgres_schema, "SELECT dedupe_key, status FROM outbox_message")
    assert len(mails) == 2 * CUSTOMERS
    assert {status for _, status in mails} == {"sent"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'assistant.db'}"
    return request.getfixturevalue("postgres_schema")


@pytest.mark.slow
def test_a_worker_killed_mid_submission_leaves_no_half_written_request(
    tmp_path, database_url
):
    (tmp_path / "killing_wsgi.py").write_text(KILLING_WSGI)
    flag = tmp_path / "kill-next-submission"
    env = server_environment(tmp_path, database_url, KILL_FLAG=str(flag))
    set_up_database(env)

    with gunicorn(env, workers=2, module="killing_wsgi:app") as (base, log):
        customer = Customer(base, 7)
        customer.walk_to_sign()
        flag.touch()
        with pytest.raises(requests.ConnectionError):
            customer.session.post(
                f"{base}/api/conversations/{customer.id}/messages",
                json=SIGNATURE,
                timeout=60,
            )
        assert not flag.exists()

        left = {
            table: rows(database_url, f"SELECT count(*) FROM {table}")[0][0]
            for table in (
                "port_request",
                "request_number",
                "status_event",
                "outbox_message",
            )
        }
        assert left == dict.fromkeys(left, 0)
        state = rows(
            database_url, f"SELECT state FROM conversation WHERE id = '{customer.id}'"
        )
        assert state == [("sign",)]

        reference = customer.send(SIGNATURE)["reference"]

    assert re.search(r"Worker \(pid:\d+\) was sent SIGKILL", "".join(log))
    stored = rows(database_url, "SELECT reference FROM port_request")
    assert stored == [(reference,)]
    assert rows(database_url, "SELECT count(*) FROM outbox_message") == [(2,)]
