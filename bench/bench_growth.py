"""Turn time as conversations pile up, and memory per worker after 1 000 of them.

On SQLite and on PostgreSQL, the database is grown to 10, 1 000 and 100 000
stored conversations by copying the rows of one real finished intake (its
conversation, document, porting request, number, status event and e-mails) with
fresh keys, a distinct number each and dates spread over six months. The large
blobs of the copies (signed LOA, e-mail bodies) are cut to 1 KB so the bulk insert
fits the time budget; no turn reads them. At each size, customers walk whole
intakes one after the other, and each message turn, upload and signing is timed
beside ``GET /healthz`` in the same minute, so a busy machine shows in both.

Memory: the resident size of each gunicorn worker after two intakes, then after
the workers have served 1 000 more conversations (all of them through the message
turns, one in ten to the end with upload and signature), on SQLite.
Run with ``.venv/bin/python bench/bench_growth.py [--quick]``.
"""

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chat import RESULTS  # noqa: E402
from bench_chat import Customer  # noqa: E402
from bench_chat import make_customers  # noqa: E402
from bench_chat import serve  # noqa: E402
from bench_chat import stop_on_sigterm  # noqa: E402
from bench_chat import warm_up  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy import select  # noqa: E402
from sqlalchemy import text  # noqa: E402

from assistant.models import db  # noqa: E402

SIZES = (10, 1_000, 100_000)
INTAKES_PER_SIZE = 6
HEALTH_CALLS = 40
MEMORY_CONVERSATIONS = 1_000
MEMORY_THREADS = 8
CHUNK = 2_000
BLOB_BYTES = 1024
FLATNESS = 1.20
ORDER = (
    "conversation",
    "document",
    "port_request",
    "request_number",
    "status_event",
    "outbox_message",
)
INTEGER_KEYED = ("port_request", "request_number", "status_event", "outbox_message")


class Grower:
    """Copies one finished intake's rows until the database holds ``size`` of them."""

    def __init__(self, url: str):
        self.engine = create_engine(url)
        self.tables = {name: db.metadata.tables[name] for name in ORDER}
        self.stored = 0
        self.template = self._read_template()

    def _read_template(self) -> dict:
        tables = self.tables
        with self.engine.connect() as connection:
            request = connection.execute(select(tables["port_request"]).limit(1)).one()
            conversation_id = request.conversation_id
            rows = {
                "conversation": connection.execute(
                    select(tables["conversation"]).where(
                        tables["conversation"].c.id == conversation_id
                    )
                ).one(),
                "document": connection.execute(
                    select(tables["document"]).where(
                        tables["document"].c.conversation_id == conversation_id
                    )
                ).first(),
                "port_request": request,
                "request_number": connection.execute(
                    select(tables["request_number"]).where(
                        tables["request_number"].c.request_id == request.id
                    )
                ).first(),
                "status_event": connection.execute(
                    select(tables["status_event"]).where(
                        tables["status_event"].c.request_id == request.id
                    )
                ).first(),
                "outbox_message": connection.execute(
                    select(tables["outbox_message"]).limit(1)
                ).first(),
            }
            self.stored = connection.scalar(
                select(db.func.count()).select_from(tables["conversation"])
            )
        return {name: row._asdict() for name, row in rows.items() if row is not None}

    def grow_to(self, size: int) -> float:
        """Insert copies until ``size`` conversations are stored; the seconds taken."""
        started = time.perf_counter()
        with self.engine.begin() as connection:
            self.next_key = 1 + max(
                connection.scalar(select(db.func.max(self.tables[name].c.id))) or 0
                for name in INTEGER_KEYED
            )
        while self.stored < size:
            count = min(CHUNK, size - self.stored)
            batch = self._copies(self.stored, count)
            with self.engine.begin() as connection:
                for name in ORDER:
                    if batch[name]:
                        connection.execute(insert(self.tables[name]), batch[name])
            self.stored += count
            self.next_key += count
        if self.engine.dialect.name == "postgresql":
            # Explicit keys leave the sequences behind the rows the app inserts next.
            with self.engine.begin() as connection:
                for name in INTEGER_KEYED:
                    connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT max(id) FROM {name}))"
                        )
                    )
        return time.perf_counter() - started

    def _copies(self, first: int, count: int) -> dict:
        template = self.template
        batch = {name: [] for name in ORDER}
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        for index in range(first, first + count):
            key = self.next_key + index - first
            conversation_id = uuid.uuid4().hex
            when = now - timedelta(minutes=random.randrange(180 * 24 * 60))
            dates = {"created_at": when, "updated_at": when}
            batch["conversation"].append(
                {**template["conversation"], **dates, "id": conversation_id}
            )
            if "document" in template:
                row = {**template["document"], "id": uuid.uuid4().hex}
                row.update(conversation_id=conversation_id, created_at=when)
                batch["document"].append(row)
            request = {**template["port_request"], **dates, "id": key}
            request.update(
                reference=f"PR-G{index:07d}",
                conversation_id=conversation_id,
                loa_pdf=template["port_request"]["loa_pdf"][:BLOB_BYTES],
                signed_at=when,
            )
            batch["port_request"].append(request)
            if "request_number" in template:
                row = {**template["request_number"], "id": key, "request_id": key}
                row["e164"] = f"+1646{index:07d}"
                batch["request_number"].append(row)
            if "status_event" in template:
                row = {**template["status_event"], "id": key, "request_id": key}
                row["created_at"] = when
                batch["status_event"].append(row)
            if "outbox_message" in template:
                row = {**template["outbox_message"], "id": key, "created_at": when}
                row.update(
                    dedupe_key=f"growth:{index}",
                    raw=template["outbox_message"]["raw"][:BLOB_BYTES],
                    next_attempt_at=when,
                    sent_at=when,
                )
                batch["outbox_message"].append(row)
        return batch


def timed_intakes(base: str, first_index: int, count: int) -> tuple[dict, int]:
    """Whole intakes one after the other, then /healthz calls; timings by kind."""
    customers = make_customers(base, first_index, count)
    for customer in customers:
        customer.walk()
    checker = Customer(base, "", b"")
    checker.health(HEALTH_CALLS)
    timings = {"healthz": checker.timings.get("healthz", [])}
    for customer in customers:
        for kind, values in customer.timings.items():
            timings.setdefault(kind, []).extend(values)
    errors = [error for customer in [*customers, checker] for error in customer.errors]
    medians = {
        kind: statistics.median(values) * 1000 for kind, values in timings.items()
    }
    return {"median_ms": medians, "errors": errors}, first_index + count


def growth(kind: str, sizes: tuple[int, ...], intakes: int) -> dict:
    rows = []
    with serve(kind) as server:
        index = warm_up(server.base, 0)
        grower = Grower(server.env["ASSISTANT_DATABASE_URL"])
        for size in sizes:
            insert_seconds = grower.grow_to(size)
            figures, index = timed_intakes(server.base, index, intakes)
            figures.update(stored=size, insert_s=insert_seconds)
            rows.append(figures)
            print_growth_row(kind, figures)
        grower.engine.dispose()
        server_errors = server.errors()
    for line in server_errors[:10]:
        print(f"  server logged: {line}")
    return {"rows": rows, "server_errors": server_errors}


def print_growth_row(kind: str, figures: dict) -> None:
    medians = figures["median_ms"]
    parts = "  ".join(
        f"{name} {medians[name]:6.1f}"
        for name in ("message", "upload", "sign", "healthz")
        if name in medians
    )
    print(
        f"{kind:10} {figures['stored']:>7} stored (+{figures['insert_s']:5.1f} s to "
        f"insert)  median ms: {parts}"
    )
    if figures["errors"]:
        print(f"  ERRORS: {len(figures['errors'])}, first: {figures['errors'][0]}")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory(conversations: int) -> dict:
    with serve("sqlite") as server:
        index = warm_up(server.base, 0)
        before = [rss_kib(pid) for pid in server.worker_pids()]
        customers = make_customers(server.base, index, conversations // 10)
        bare = [
            Customer(server.base, f"(212) 736-{i:04d}", b"")
            for i in range(conversations - len(customers))
        ]
        queue = [*customers, *bare]
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    customer = queue.pop()
                customer.opening()
                if customer.bill:
                    customer.upload()
                    customer.closing()
                    customer.sign()

        started = time.perf_counter()
        threads = [
            threading.Thread(target=work, daemon=True) for _ in range(MEMORY_THREADS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=900)
        wall = time.perf_counter() - started
        after = [rss_kib(pid) for pid in server.worker_pids()]
        errors = [
            error for customer in [*customers, *bare] for error in customer.errors
        ]
        server_errors = server.errors()
    figures = {
        "conversations": conversations,
        "workers": len(after),
        "rss_before_mib": [value / 1024 for value in before],
        "rss_after_mib": [value / 1024 for value in after],
        "wall_s": wall,
        "errors": errors,
        "server_errors": server_errors,
    }
    print(
        f"memory per worker (RSS, MiB) after 2 intakes: "
        f"{', '.join(f'{value:.0f}' for value in figures['rss_before_mib'])}; "
        f"after {conversations} more conversations ({wall:.0f} s): "
        f"{', '.join(f'{value:.0f}' for value in figures['rss_after_mib'])}"
    )
    if errors or server_errors:
        print(f"  ERRORS: {len(errors)} client, {len(server_errors)} server")
    return figures


def main() -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, SQLite")
    parser.add_argument("--databases", default="sqlite,postgresql")
    arguments = parser.parse_args()
    sizes = (10, 1_000) if arguments.quick else SIZES
    kinds = ["sqlite"] if arguments.quick else arguments.databases.split(",")
    conversations = 100 if arguments.quick else MEMORY_CONVERSATIONS

    results = {}
    for kind in kinds:
        results[kind] = growth(kind, sizes, INTAKES_PER_SIZE)
        first, last = results[kind]["rows"][0], results[kind]["rows"][-1]
        ratio = last["median_ms"]["message"] / first["median_ms"]["message"]
        health = last["median_ms"]["healthz"] / first["median_ms"]["healthz"]
        verdict = "flat" if ratio <= FLATNESS else "NOT flat"
        print(
            f"{kind}: message turn at {last['stored']:,} / at {first['stored']:,} "
            f"stored: {ratio:.2f} ({verdict}, target <= {FLATNESS:.2f}); "
            f"/healthz in the same runs: {health:.2f}"
        )
    results["memory"] = memory(conversations)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
