"""Run every benchmark one after the other and write the figures down.

Each ``bench/bench_*.py`` runs in its own process, bounded in time; its output is
shown as it comes. The summary, with the machine it came from, goes to
``bench/results/latest.md`` and replaces the generated part of
``docs/benchmarks.md``. A slow machine never fails the run; a benchmark that
crashes or times out does (exit status 1), after the summary is written.
Run with ``make bench`` or ``.venv/bin/python bench/run_all.py``.
"""

import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
DOC = ROOT / "docs" / "benchmarks.md"
README = ROOT / "README.md"
START = "<!-- bench:start (written by bench/run_all.py) -->"
END = "<!-- bench:end -->"

# Fast ones first, so a broken server shows before the long runs. Seconds each.
SCRIPTS = {
    "bench_documents.py": 300,
    "bench_loa.py": 300,
    "bench_faq.py": 300,
    "bench_widget.py": 300,
    "bench_chat.py": 600,
    "bench_growth.py": 720,
}
CONCURRENCY = 50


def run(script: Path, timeout: int) -> dict:
    """Run one benchmark, echoing its output; its text, status and duration."""
    print(f"\n==> {script.name}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    reader = threading.Thread(target=_echo, args=(process.stdout, lines), daemon=True)
    reader.start()
    timed_out = _wait(process, started + timeout) is None
    if timed_out:
        # The benchmark's own servers are in its session; stop them with it.
        os.killpg(process.pid, signal.SIGTERM)
        if _wait(process, time.monotonic() + 30) is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    reader.join(timeout=10)
    seconds = time.monotonic() - started
    status = "timed out" if timed_out else f"exit {process.returncode}"
    print(f"<== {script.name}: {status}, {seconds:.0f} s", flush=True)
    return {
        "name": script.name,
        "output": "".join(lines),
        "ok": not timed_out and process.returncode == 0,
        "status": status,
        "seconds": seconds,
    }


def _echo(stream, lines: list[str]) -> None:
    for line in stream:
        print(line, end="", flush=True)
        lines.append(line)


def _wait(process: subprocess.Popen, deadline: float) -> int | None:
    try:
        return process.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return None


# ---- The machine ---------------------------------------------------------------


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memory = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "cpus": len(os.sched_getaffinity(0)),
        "cpu": model.group(1).strip() if model else platform.processor(),
        "memory_gib": int(memory.group(1)) / 2**20 if memory else 0,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "load": os.getloadavg()[0],
    }


# ---- Figures from the results ---------------------------------------------------


def load_json(name: str) -> dict:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else {}


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.1f} ms"


def _run_at(chat: dict, kind: str, customers: int) -> dict:
    for figures in chat.get(kind, {}).get("runs", []):
        if figures["customers"] == customers:
            return figures
    return {}


def _verdict(met: bool | None, missed_by: str = "") -> str:
    if met is None:
        return "not measured"
    return "met" if met else f"**missed**{' ' + missed_by if missed_by else ''}"


def target_rows(
    chat: dict, widget: dict, growth: dict, loa: dict, faq: dict, documents: dict
) -> list[tuple]:
    """(figure, measured, baseline, target, verdict) for every benchmark target."""
    rows = []
    for kind, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        run = _run_at(chat, kind, CONCURRENCY)
        turn, health = run.get("message", {}), run.get("healthz", {})
        if turn.get("per_second") and health.get("per_second"):
            ratio = turn["per_second"] / health["per_second"]
            rows.append(
                (
                    f"Message turns/s, {CONCURRENCY} customers, {label}",
                    f"{turn['per_second']:.0f}/s ({ratio:.2f}×)",
                    f"/healthz {health['per_second']:.0f}/s",
                    "≥ 0.33× baseline",
                    _verdict(ratio >= 1 / 3, f"({ratio / (1 / 3):.0%} of target)"),
                )
            )
        paced = chat.get(kind, {}).get("paced") or {}
        steady = chat.get(kind, {}).get("steady") or {}
        for name, figures, baseline in (
            ("steady, starts spread", steady.get("message", {}), None),
            ("paced, starting together", paced.get("message", {}), None),
            ("no pauses", turn, health),
        ):
            if not figures.get("count"):
                continue
            p99 = figures["p99_ms"]
            rows.append(
                (
                    f"Message turn p99, {CONCURRENCY} customers {name}, {label}",
                    _ms(p99),
                    f"/healthz p99 {_ms(baseline['p99_ms'])}" if baseline else "–",
                    "< 50 ms",
                    _verdict(p99 < 50, f"({p99 / 50:.1f}× the target)"),
                )
            )
    if widget:
        rows.append(
            (
                "Loader before the click, gzip",
                f"{widget['loader_gzip']:,} B",
                f"{widget['loader_raw']:,} B raw",
                "≤ 3 KB",
                _verdict(
                    widget["loader_gzip"] <= 3 * 1024
                    and widget["loader_only_before_click"]
                ),
            )
        )
        rows.append(
            (
                "Open chat (HTML + JS + CSS), gzip",
                f"{widget['open_gzip']:,} B",
                f"{widget['open_raw']:,} B raw; fonts: {len(widget['fonts'])}",
                "≤ 30 KB",
                _verdict(widget["open_gzip"] <= 30 * 1024 and not widget["fonts"]),
            )
        )
    for kind, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        table = growth.get(kind, {}).get("rows", [])
        if len(table) < 2:
            continue
        first, last = table[0]["median_ms"], table[-1]["median_ms"]
        ratio = last["message"] / first["message"]
        health = last["healthz"] / first["healthz"]
        rows.append(
            (
                f"Message turn, {table[-1]['stored']:,} vs {table[0]['stored']:,} "
                f"stored, {label}",
                f"{ratio:.2f}× ({_ms(last['message'])} vs {_ms(first['message'])})",
                f"/healthz {health:.2f}×",
                "≤ 1.20×",
                _verdict(ratio <= 1.2, f"(+{ratio - 1:.0%})"),
            )
        )
    if "fill_4_ms" in loa:
        ratio = loa["fill_4_ms"] / loa["copy_ms"]
        rows.append(
            (
                "LOA fill, 4 numbers",
                f"{loa['fill_4_ms']:.1f} ms ({ratio:.1f}×)",
                f"pypdf plain copy {loa['copy_ms']:.1f} ms",
                "≤ 3× copy",
                _verdict(ratio <= 3, f"({ratio / 3:.1f}× the target)"),
            )
        )
    for action in ("fill", "sign"):
        if f"{action}_500_ms" in loa:
            took = loa[f"{action}_500_ms"]
            rows.append(
                (
                    f"LOA {action}, 500 numbers",
                    _ms(took),
                    f"pypdf plain copy {loa['copy_ms']:.1f} ms",
                    "< 1 s",
                    _verdict(took < 1000, f"({took / 1000:.1f}× the target)"),
                )
            )
    return rows + extra_rows(faq, documents)


def extra_rows(faq: dict, documents: dict) -> list[tuple]:
    """The FAQ and document targets of issues 5 and 6."""
    rows = []
    if faq:
        rows.append(
            (
                "FAQ answer, median in-process",
                f"{faq['median_ms']:.2f} ms",
                "–",
                "< 5 ms",
                _verdict(faq["median_ms"] < 5),
            )
        )
        rows.append(
            (
                "FAQ dev set: in-scope top-1 / out-of-scope rejected",
                f"{faq['in_scope']:.1f}% / {faq['rejected']:.1f}%",
                "–",
                "≥ 95% / ≥ 90%",
                _verdict(faq["in_scope"] >= 95 and faq["rejected"] >= 90),
            )
        )
    for key, label in (("text_s", "text PDF bill"), ("scan_s", "scanned bill, OCR")):
        if key in documents:
            rows.append(
                (
                    f"Reading a one-page {label}",
                    f"{documents[key]:.2f} s",
                    "–",
                    "well under 2 s",
                    _verdict(documents[key] < 2),
                )
            )
    return rows


def loa_figures(output: str) -> dict:
    """The plain copy, fill and sign times from bench_loa.py's printout."""
    copy = re.search(r"plain copy of the template\s+([\d.]+) ms", output)
    if not copy:
        return {}
    figures = {"copy_ms": float(copy.group(1))}
    for action in ("fill", "sign"):
        for count in (4, 500):
            found = re.search(
                rf"^{action} {count} numbers\s+([\d.]+) ms", output, re.MULTILINE
            )
            if found:
                figures[f"{action}_{count}_ms"] = float(found.group(1))
    return figures


def faq_figures(output: str) -> dict:
    """Our matcher's median time and dev-set figures from bench_faq.py's printout."""
    found = re.search(
        r"^ours\s+([\d.]+)\s+([\d.]+)% /\s+([\d.]+)%", output, re.MULTILINE
    )
    if not found:
        return {}
    median, in_scope, rejected = (float(value) for value in found.groups())
    return {"median_ms": median, "in_scope": in_scope, "rejected": rejected}


def document_figures(output: str) -> dict:
    """Seconds to read the text bill and to OCR the scanned one."""
    text = re.search(r"^text bill, 1 page\s+([\d.]+) s", output, re.MULTILINE)
    scan = re.search(r"^scanned bill OCR, 1 page\S*\s+\S+\s+([\d.]+) s", output, re.M)
    figures = {}
    if text:
        figures["text_s"] = float(text.group(1))
    if scan:
        figures["scan_s"] = float(scan.group(1))
    return figures


def chat_table(chat: dict) -> list[str]:
    lines = [
        "| database | customers | /healthz p50 / p99, per s | message turn p50 / p95 "
        "/ p99, per s | ratio | upload p50 / p99 | sign p50 / p99 |",
        "|---|---:|---|---|---:|---|---|",
    ]
    for kind in ("sqlite", "postgresql"):
        for run in chat.get(kind, {}).get("runs", []):
            health, turn = run["healthz"], run["message"]
            upload, sign = run["upload"], run["sign"]
            if not turn.get("count"):
                continue
            ratio = turn["per_second"] / health["per_second"]
            lines.append(
                f"| {kind} | {run['customers']} | {health['p50_ms']:.0f} / "
                f"{health['p99_ms']:.0f} ms, {health['per_second']:.0f}/s | "
                f"{_three(turn)}, {turn['per_second']:.0f}/s | {ratio:.2f} | "
                f"{_pair(upload)} | {_pair(sign)} |"
            )
        for name, how in (("paced", "together"), ("steady", "starts spread")):
            run = chat.get(kind, {}).get(name)
            if not (run and run["message"].get("count")):
                continue
            low, high = run["think_s"]
            lines.append(
                f"| {kind} | {run['customers']}, {low}–{high} s pauses, {how} | – | "
                f"{_three(run['message'])} | – | {_pair(run['upload'])} | "
                f"{_pair(run['sign'])} |"
            )
    return lines


def _three(figures: dict) -> str:
    return (
        f"{figures['p50_ms']:.0f} / {figures['p95_ms']:.0f} / "
        f"{figures['p99_ms']:.0f} ms"
    )


def _pair(figures: dict) -> str:
    if not figures.get("count"):
        return "–"
    return f"{figures['p50_ms']:.0f} / {figures['p99_ms']:.0f} ms"


def growth_table(growth: dict) -> list[str]:
    lines = [
        "| database | stored conversations | message turn | upload | sign | "
        "/healthz | bulk insert |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for kind in ("sqlite", "postgresql"):
        for row in growth.get(kind, {}).get("rows", []):
            medians = row["median_ms"]
            lines.append(
                f"| {kind} | {row['stored']:,} | {_ms(medians.get('message'))} | "
                f"{_ms(medians.get('upload'))} | {_ms(medians.get('sign'))} | "
                f"{_ms(medians.get('healthz'))} | {row['insert_s']:.1f} s |"
            )
    memory = growth.get("memory")
    if memory:
        before = ", ".join(f"{value:.0f}" for value in memory["rss_before_mib"])
        after = ", ".join(f"{value:.0f}" for value in memory["rss_after_mib"])
        lines += [
            "",
            f"Memory per worker (RSS, MiB, {memory['workers']} workers, SQLite): "
            f"{before} after two intakes; {after} after "
            f"{memory['conversations']:,} more conversations.",
        ]
    return lines


def errors_found(chat: dict, widget: dict, growth: dict) -> list[str]:
    found = []
    for kind in ("sqlite", "postgresql"):
        section = chat.get(kind, {})
        extra = [section.get("paced") or {}, section.get("steady") or {}]
        for run in [*section.get("runs", []), *extra]:
            found += [f"chat, {kind}: {error}" for error in run.get("errors", [])]
        found += [f"chat server, {kind}: {e}" for e in section.get("server_errors", [])]
        for row in growth.get(kind, {}).get("rows", []):
            found += [f"growth, {kind}: {error}" for error in row.get("errors", [])]
        found += [
            f"growth server, {kind}: {e}"
            for e in growth.get(kind, {}).get("server_errors", [])
        ]
    memory = growth.get("memory", {})
    found += [f"memory run: {error}" for error in memory.get("errors", [])]
    found += [f"memory server: {error}" for error in memory.get("server_errors", [])]
    found += [f"widget server: {error}" for error in widget.get("server_errors", [])]
    return found


def headline(host: dict, runs: list[dict]) -> list[str]:
    """The machine, and every target beside what was measured: for the README too."""
    chat = load_json("chat.json")
    widget = load_json("widget.json")
    growth = load_json("growth.json")
    outputs = {run["name"]: run.get("output", "") for run in runs}
    targets = target_rows(
        chat,
        widget,
        growth,
        loa_figures(outputs.get("bench_loa.py", "")),
        faq_figures(outputs.get("bench_faq.py", "")),
        document_figures(outputs.get("bench_documents.py", "")),
    )
    lines = [
        f"Measured {host['date']} at commit `{host['commit']}` on {host['cpus']} "
        f"CPUs ({host['cpu']}), {host['memory_gib']:.1f} GiB memory, "
        f"{host['system']}, Python {host['python']}; load average "
        f"{host['load']:.1f} at the start and {host['load_end']:.1f} at the end. "
        f"Server: gunicorn `{chat.get('gunicorn', '?')}` on loopback. "
        "Regenerate with `make bench`.",
        "",
        "| figure | measured | baseline, same run | target | verdict |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in targets]
    if widget:
        lines += [
            "",
            f"Click to the first assistant message: "
            f"{widget['click_to_message_ms']:.0f} ms (median of {widget['runs']}); "
            f"a blank page from the same server in a new tab: "
            f"{widget['blank_page_ms']:.0f} ms.",
        ]
    return lines


def summary(host: dict, runs: list[dict]) -> str:
    chat = load_json("chat.json")
    growth = load_json("growth.json")
    widget = load_json("widget.json")
    lines = ["## Benchmarks", "", *headline(host, runs)]
    if chat:
        lines += ["", "### Chat turns under load", "", *chat_table(chat)]
    if growth:
        lines += ["", "### Growth", "", *growth_table(growth)]
    found = errors_found(chat, widget, growth)
    lines += ["", "### Errors seen", ""]
    lines += [f"- {error}" for error in found[:30]] or ["None."]
    lines += ["", "### Every benchmark's output", ""]
    for run in runs:
        lines += [
            f"`{run['name']}` ({run['status']}, {run['seconds']:.0f} s):",
            "",
            "```",
            run["output"].rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def write_section(path: Path, section: str) -> None:
    """Replace the generated part of ``path`` between the markers, keeping the rest."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    block = f"{START}\n{section}{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text)


def main() -> int:
    host = machine()
    RESULTS.mkdir(parents=True, exist_ok=True)
    for stale in ("chat.json", "widget.json", "growth.json"):
        (RESULTS / stale).unlink(missing_ok=True)
    runs = []
    for name, timeout in SCRIPTS.items():
        if (BENCH / name).exists():
            runs.append(run(BENCH / name, timeout))
    extra = sorted(
        path for path in BENCH.glob("bench_*.py") if path.name not in SCRIPTS
    )
    for path in extra:
        runs.append(run(path, 300))
    host["load_end"] = os.getloadavg()[0]

    section = summary(host, runs)
    (RESULTS / "latest.md").write_text(section)
    write_section(DOC, section)
    write_section(README, "\n".join(headline(host, runs)) + "\n")
    print(f"\nsummary: {RESULTS / 'latest.md'}, {DOC} and {README}")
    broken = [run["name"] for run in runs if not run["ok"]]
    if broken:
        print(f"broken: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
