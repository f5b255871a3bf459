"""Chat turns under load: simulated customers complete whole intakes over HTTP.

The app runs under gunicorn on loopback, once on SQLite and once on PostgreSQL.
N customers (10, 50, 200) each walk the intake of ``tests/intake_data.py`` with
their own number, all at once and without pausing. They move in step: every
customer finishes a stage before any starts the next, so message turns, the
bill upload and the signing turn (which renders the LOA) are timed apart.
Beside them, in the same run and against the same server, the same customers
call ``GET /healthz`` (one ``SELECT 1``), the baseline for a turn's throughput.
A paced run has 50 customers start together and type like very fast typists
(0.5-1.5 s between turns), so they reach the upload and the signature at about
the same moment: a burst. The steady run keeps 50 customers in an intake all the
time, each walking three intakes in a row from its own starting moment, and times
only the turns made while all 50 were in: what "50 customers at once" costs a
customer on a busy day.
Run with ``.venv/bin/python bench/bench_chat.py [--quick]``.
"""

import argparse
import json
import os
import random
import runpy
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests import docgen  # noqa: E402
from tests.intake_data import LOA_DETAILS  # noqa: E402
from tests.intake_data import PROVIDER  # noqa: E402

BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
POSTGRES_URL = os.environ.get(
    "ASSISTANT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
# The server runs with the project's gunicorn.conf.py, as the README serves it;
# BENCH_GUNICORN adds options on top, to try other settings.
GUNICORN_OPTIONS = os.environ.get("BENCH_GUNICORN", "").split()
CUSTOMERS = (10, 50, 200)
PACED_CUSTOMERS = 50
THINK_SECONDS = (0.5, 1.5)
# The steady run: each of the 50 walks this many intakes, one after another,
# starting within about one intake's length of each other.
STEADY_ROUNDS = 3
STEADY_SPREAD_SECONDS = 12.0
HEALTH_CALLS = 12
STAGE_TIMEOUT = 300
SIGNATURE = {"signature_name": "Jane Doe", "signature_consent": True}

# The intake of tests/intake_data.run_to_review, then submit and sign, in stages.
OPENING = (
    {"choice": "port"},
    None,  # the customer's own number, typed
    {"choice": "mobile"},
    {"choice": "yes"},
    {"choice": "none"},
    {"form": PROVIDER},
    {"choice": "no"},
    {"form": LOA_DETAILS},
)
CLOSING = ({"choice": "skip"}, {"choice": "submit"})


# ---- Database and server ---------------------------------------------------


@contextmanager
def database(kind: str, folder: Path):
    """A fresh database URL: a SQLite file, or a PostgreSQL schema dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    process: subprocess.Popen
    log_path: Path
    env: dict

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def errors(self) -> list[str]:
        """Tracebacks and error lines the server logged, one summary line each."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        found = []
        for index, line in enumerate(lines):
            if line.startswith("Traceback"):
                tail = next(
                    (later for later in lines[index + 1 :] if not later[:1].isspace()),
                    line,
                )
                found.append(tail.strip()[:200])
            elif line.startswith(("ERROR:", "CRITICAL:")) or any(
                level in line for level in ("[ERROR]", "[CRITICAL]", "WORKER TIMEOUT")
            ):
                found.append(line.strip()[:200])
        return found


@contextmanager
def serve(kind: str, options: list[str] = GUNICORN_OPTIONS):
    """The app under gunicorn on loopback with a fresh database; stopped after."""
    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with database(kind, folder) as url:
            env = {
                **os.environ,
                "ASSISTANT_INSTANCE_PATH": str(folder / "instance"),
                "ASSISTANT_DATABASE_URL": url,
                "ASSISTANT_RATELIMIT_ENABLED": "false",
                "ASSISTANT_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                "ASSISTANT_SECRET_KEY": "x",
            }
            subprocess.run(
                [str(BIN / "flask"), "--app", "wsgi", "setup"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
            port = free_port()
            log_path = folder / "gunicorn.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [str(BIN / "gunicorn"), *options]
                    + ["-b", f"127.0.0.1:{port}", "wsgi:app"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            server = Server(f"http://127.0.0.1:{port}", process, log_path, env)
            try:
                _wait_until_up(server)
                yield server
            finally:
                _stop(process)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def gunicorn_settings() -> str:
    """The server settings in force: gunicorn.conf.py, then BENCH_GUNICORN."""
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    settings = (
        f"-w {conf['workers']} -k {conf['worker_class']} --threads {conf['threads']} "
        f"--keep-alive {conf['keepalive']}"
    )
    return " ".join([settings, *GUNICORN_OPTIONS])


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited: {server.log_path.read_text()[-2000:]}"
            )
        try:
            if requests.get(server.base + "/healthz", timeout=10).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# ---- Customers ---------------------------------------------------------------


def number_text(index: int) -> str:
    """A distinct valid US number per customer, as a customer types it."""
    return f"(415) 867-{index:04d}"


@dataclass
class Customer:
    """One customer's HTTP session through the intake, timing every request."""

    base: str
    number: str
    bill: bytes
    session: requests.Session = field(default_factory=requests.Session)
    timings: dict = field(default_factory=dict)
    marks: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    path: str = ""

    def _timed(self, kind: str, method: str, url: str, expected: int, **kwargs):
        if self.errors:
            return None
        started = time.perf_counter()
        response = self.session.request(method, self.base + url, timeout=120, **kwargs)
        elapsed = time.perf_counter() - started
        if response.status_code != expected:
            self.errors.append(
                f"{method} {url.split('/')[-1] or url} -> {response.status_code}: "
                f"{response.text[:160]}"
            )
            return None
        self.timings.setdefault(kind, []).append(elapsed)
        self.marks.append((kind, started, elapsed))
        return response.json()

    def say(self, body: dict, kind: str = "message") -> None:
        self._timed(kind, "POST", self.path + "/messages", 200, json=body)

    def start(self) -> None:
        reply = self._timed("message", "POST", "/api/conversations", 201, json={})
        if reply:
            self.path = f"/api/conversations/{reply['id']}"
            self.session.headers["Authorization"] = f"Bearer {reply['token']}"

    def opening(self, think=None) -> None:
        self.start()
        for body in OPENING:
            _pause(think)
            self.say(body or {"text": self.number})

    def upload(self, think=None) -> None:
        _pause(think)
        files = {"file": ("march-bill.pdf", self.bill, "application/pdf")}
        self._timed(
            "upload",
            "POST",
            self.path + "/documents",
            201,
            data={"kind": "bill"},
            files=files,
        )

    def closing(self, think=None) -> None:
        for body in CLOSING:
            _pause(think)
            self.say(body)

    def sign(self, think=None) -> None:
        _pause(think)
        self.say({"form": SIGNATURE}, kind="sign")

    def walk(self, think=None) -> None:
        """The whole intake, from the first message to the signature."""
        try:
            self.opening(think)
            self.upload(think)
            self.closing(think)
            self.sign(think)
        except requests.RequestException as error:
            self.errors.append(f"{type(error).__name__}: {error}"[:200])

    def health(self, calls: int) -> None:
        for _ in range(calls):
            self._timed("healthz", "GET", "/healthz", 200)


def _pause(think) -> None:
    if think:
        time.sleep(random.uniform(*think))


def make_customers(base: str, first_index: int, count: int) -> list[Customer]:
    customers = []
    for index in range(first_index, first_index + count):
        number = number_text(index)
        bill = docgen.text_pdf_bill(docgen.Bill(numbers=(number,), lines=("Mobile",)))
        customers.append(Customer(base, number, bill))
    return customers


def run_in_step(customers: list[Customer], stages: list[tuple[str, object]]) -> dict:
    """Run every stage for all customers at once; the wall time of each stage."""
    marks = []
    barrier = threading.Barrier(
        len(customers), action=lambda: marks.append(time.perf_counter())
    )

    def walk(customer: Customer) -> None:
        for _name, action in stages:
            try:
                barrier.wait(timeout=STAGE_TIMEOUT)
                action(customer)
            except threading.BrokenBarrierError:
                customer.errors.append("a stage did not finish in time")
                return
            except requests.RequestException as error:
                customer.errors.append(f"{type(error).__name__}: {error}"[:200])
        try:
            barrier.wait(timeout=STAGE_TIMEOUT)
        except threading.BrokenBarrierError:
            customer.errors.append("a stage did not finish in time")

    _run_threads(walk, customers)
    walls = {}
    for (name, _action), began, ended in zip(stages, marks, marks[1:], strict=False):
        walls[name] = walls.get(name, 0.0) + (ended - began)
    return walls


def run_paced(customers: list[Customer], think: tuple[float, float]) -> float:
    """Each customer walks the whole intake at its own pace; the total wall time."""

    def walk(customer: Customer) -> None:
        time.sleep(random.uniform(0, think[1]))
        customer.walk(think)

    started = time.perf_counter()
    _run_threads(walk, customers)
    return time.perf_counter() - started


def run_steady(rounds: list[list[Customer]], think, spread: float) -> tuple:
    """Each thread walks one intake after another, starting at its own moment.

    The starts are spread over about one intake's length, so that at any moment
    some customers type their numbers while others upload or sign, as on a real
    day. Returns the window in which every thread was mid-intake.
    """
    began: dict[int, float] = {}
    ended: dict[int, float] = {}

    def walk(slot: int) -> None:
        time.sleep(random.uniform(0, spread))
        began[slot] = time.perf_counter()
        for customer in rounds[slot]:
            customer.walk(think)
        ended[slot] = time.perf_counter()

    threads = [
        threading.Thread(target=walk, args=(slot,), daemon=True)
        for slot in range(len(rounds))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=STAGE_TIMEOUT * 6)
    return max(began.values()), min(ended.values())


def _run_threads(target, customers: list[Customer]) -> None:
    threads = [
        threading.Thread(target=target, args=(customer,), daemon=True)
        for customer in customers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=STAGE_TIMEOUT * 6)


def warm_up(base: str, first_index: int) -> int:
    """Two whole intakes, so every worker has imported and cached what a turn uses."""
    for customer in make_customers(base, first_index, 2):
        customer.walk()
        if customer.errors:
            raise RuntimeError(f"warm-up intake failed: {customer.errors}")
    return first_index + 2


# ---- Figures -------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (seconds)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float], wall: float | None = None) -> dict:
    if not values:
        return {"count": 0}
    figures = {
        "count": len(values),
        "p50_ms": percentile(values, 0.50) * 1000,
        "p95_ms": percentile(values, 0.95) * 1000,
        "p99_ms": percentile(values, 0.99) * 1000,
        "mean_ms": statistics.fmean(values) * 1000,
    }
    if wall:
        figures["per_second"] = len(values) / wall
    return figures


def collect(customers: list[Customer], kind: str) -> list[float]:
    return [value for customer in customers for value in customer.timings.get(kind, [])]


def closed_run(base: str, first_index: int, count: int) -> dict:
    """N customers in step through the whole intake, with the /healthz baseline."""
    customers = make_customers(base, first_index, count)
    stages = [
        ("healthz", lambda customer: customer.health(HEALTH_CALLS)),
        ("opening", Customer.opening),
        ("upload", Customer.upload),
        ("closing", Customer.closing),
        ("sign", Customer.sign),
    ]
    walls = run_in_step(customers, stages)
    message_wall = walls.get("opening", 0) + walls.get("closing", 0)
    return {
        "customers": count,
        "healthz": summary(collect(customers, "healthz"), walls.get("healthz")),
        "message": summary(collect(customers, "message"), message_wall),
        "upload": summary(collect(customers, "upload"), walls.get("upload")),
        "sign": summary(collect(customers, "sign"), walls.get("sign")),
        "wall_s": sum(walls.values()),
        "errors": _errors(customers),
    }


def paced_run(base: str, first_index: int, count: int) -> dict:
    customers = make_customers(base, first_index, count)
    wall = run_paced(customers, THINK_SECONDS)
    return {
        "customers": count,
        "think_s": THINK_SECONDS,
        "message": summary(collect(customers, "message")),
        "upload": summary(collect(customers, "upload")),
        "sign": summary(collect(customers, "sign")),
        "wall_s": wall,
        "errors": _errors(customers),
    }


def steady_run(base: str, first_index: int, count: int) -> dict:
    """N customers at once all the time, their steps mixed; timed while all are in."""
    rounds = [
        make_customers(base, first_index + slot * STEADY_ROUNDS, STEADY_ROUNDS)
        for slot in range(count)
    ]
    opened, closed = run_steady(rounds, THINK_SECONDS, STEADY_SPREAD_SECONDS)
    customers = [customer for slot in rounds for customer in slot]

    def inside(kind: str) -> list[float]:
        return [
            elapsed
            for customer in customers
            for mark_kind, started, elapsed in customer.marks
            if mark_kind == kind and opened <= started and started + elapsed <= closed
        ]

    return {
        "customers": count,
        "think_s": THINK_SECONDS,
        "window_s": max(closed - opened, 0.0),
        "message": summary(inside("message")),
        "upload": summary(inside("upload")),
        "sign": summary(inside("sign")),
        "errors": _errors(customers),
    }


def _errors(customers: list[Customer]) -> list[str]:
    return [error for customer in customers for error in customer.errors]


def bench_database(kind: str, counts: tuple[int, ...], paced: int) -> dict:
    runs = []
    with serve(kind) as server:
        index = warm_up(server.base, 0)
        for count in counts:
            runs.append(closed_run(server.base, index, count))
            index += count
            print_closed(kind, runs[-1])
        paced_figures = steady_figures = None
        if paced:
            paced_figures = paced_run(server.base, index, paced)
            index += paced
            print_paced(kind, paced_figures)
            steady_figures = steady_run(server.base, index, paced)
            print_steady(kind, steady_figures)
        server_errors = server.errors()
    for line in server_errors[:10]:
        print(f"  server logged: {line}")
    return {
        "runs": runs,
        "paced": paced_figures,
        "steady": steady_figures,
        "server_errors": server_errors,
    }


def _row(name: str, figures: dict) -> str:
    if not figures.get("count"):
        return f"  {name:18} no successful requests"
    rate = figures.get("per_second")
    rate_text = f"{rate:8.1f}/s" if rate else " " * 10
    return (
        f"  {name:18} n={figures['count']:5}  p50 {figures['p50_ms']:7.1f}  "
        f"p95 {figures['p95_ms']:7.1f}  p99 {figures['p99_ms']:7.1f} ms  {rate_text}"
    )


def print_closed(kind: str, run: dict) -> None:
    print(
        f"{kind}, {run['customers']} customers at once, no pauses "
        f"({run['wall_s']:.1f} s):"
    )
    for name in ("healthz", "message", "upload", "sign"):
        label = "baseline /healthz" if name == "healthz" else f"{name} turn"
        print(_row(label, run[name]))
    turn, health = run["message"], run["healthz"]
    if turn.get("per_second") and health.get("per_second"):
        print(
            f"  message turns / healthz throughput: "
            f"{turn['per_second'] / health['per_second']:.2f} (target >= 0.33)"
        )
    _print_errors(run["errors"])


def print_paced(kind: str, run: dict) -> None:
    low, high = run["think_s"]
    _print_turns(
        run,
        f"{kind}, {run['customers']} customers at once, {low}-{high} s between turns "
        f"({run['wall_s']:.1f} s):",
    )


def print_steady(kind: str, run: dict) -> None:
    low, high = run["think_s"]
    _print_turns(
        run,
        f"{kind}, {run['customers']} customers at once all along, starts spread over "
        f"{STEADY_SPREAD_SECONDS:.0f} s, {low}-{high} s between turns "
        f"({run['window_s']:.1f} s with all of them in):",
    )


def _print_turns(run: dict, heading: str) -> None:
    print(heading)
    for name in ("message", "upload", "sign"):
        print(_row(f"{name} turn", run[name]))
    _print_errors(run["errors"])


def _print_errors(errors: list[str]) -> None:
    if errors:
        print(f"  ERRORS: {len(errors)}, first: {errors[0]}")


def stop_on_sigterm() -> None:
    """Turn SIGTERM into an exit, so servers stop and schemas drop on the way out."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))


def main() -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 customers, SQLite")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--customers", help="comma-separated counts, e.g. 50")
    parser.add_argument("--paced", type=int, default=PACED_CUSTOMERS)
    arguments = parser.parse_args()
    counts = (10,) if arguments.quick else CUSTOMERS
    if arguments.customers:
        counts = tuple(int(count) for count in arguments.customers.split(","))
    paced = 0 if arguments.quick else arguments.paced
    kinds = ["sqlite"] if arguments.quick else arguments.databases.split(",")

    settings = gunicorn_settings()
    print(f"gunicorn {settings}; client: requests, one thread each")
    results = {"gunicorn": settings}
    for kind in kinds:
        results[kind] = bench_database(kind, counts, paced)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "chat.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
