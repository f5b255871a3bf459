"""What the widget costs a host page, in bytes and in time, in headless Chromium.

The demo help page ``/`` embeds the loader. Before the launcher is clicked the
host page may download only ``/widget.js`` from the widget; after the click the
chat frame loads ``/chat`` with its script and style sheet, then starts a
conversation. Bytes are counted as served and gzipped at level 6 (what a proxy or
CDN in front would send). The time from the click to the first assistant message
is the median of fresh browser contexts, beside a baseline from the same browser:
loading a blank page from the same server (``/healthz``) in a new tab.
Run with ``.venv/bin/python bench/bench_widget.py``.
"""

import gzip
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chat import RESULTS  # noqa: E402
from bench_chat import serve  # noqa: E402
from bench_chat import stop_on_sigterm  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RUNS = 7
HOST_OWN = ("/", "/static/site.css", "/static/favicon.svg", "/favicon.ico")
LOADER_TARGET = 3 * 1024
OPEN_TARGET = 30 * 1024


def path_of(url: str, base: str) -> str:
    return url.removeprefix(base).split("?")[0] or "/"


class Recorder:
    """Every response the page receives, with its body, in order."""

    def __init__(self, page, base: str):
        self.base = base
        self.loads = []
        page.on("response", self._record)

    def _record(self, response) -> None:
        try:
            body = response.body()
        except Exception:  # noqa: BLE001 - a redirect or aborted load has no body
            body = b""
        self.loads.append(
            {
                "path": path_of(response.url, self.base),
                "type": response.request.resource_type,
                "status": response.status,
                "raw": len(body),
                "gzip": len(gzip.compress(body, compresslevel=6)),
            }
        )

    def take(self) -> list[dict]:
        taken, self.loads = self.loads, []
        return taken


def total(loads: list[dict], key: str) -> int:
    return sum(load[key] for load in loads)


def measure_once(browser, base: str, record: bool) -> dict:
    context = browser.new_context()
    page = context.new_page()
    recorder = Recorder(page, base)
    page.goto(base + "/", wait_until="networkidle")
    launcher = page.locator("[data-porting-assistant] button")
    launcher.wait_for()
    page.wait_for_timeout(300)
    before = recorder.take()

    frame = page.frame_locator("iframe[title='Porting help chat']")
    first_message = frame.locator(".msg-assistant").first
    started = time.perf_counter()
    launcher.click()
    first_message.wait_for()
    click_to_message = time.perf_counter() - started
    page.wait_for_load_state("networkidle")
    after = recorder.take()

    blank = context.new_page()
    started = time.perf_counter()
    blank.goto(base + "/healthz", wait_until="load")
    blank_load = time.perf_counter() - started
    context.close()
    figures = {"click_to_message_s": click_to_message, "blank_page_s": blank_load}
    if record:
        figures.update(before=before, after=after)
    return figures


def main() -> None:
    stop_on_sigterm()
    with serve("sqlite") as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        measure_once(browser, server.base, record=False)
        runs = [measure_once(browser, server.base, record=i == 0) for i in range(RUNS)]
        browser.close()
        server_errors = server.errors()

    before, after = runs[0]["before"], runs[0]["after"]
    widget_before = [load for load in before if load["path"] not in HOST_OWN]
    loader_only = [load["path"] for load in widget_before] == ["/widget.js"]
    opened = [
        load for load in after if load["type"] in ("document", "script", "stylesheet")
    ]
    fonts = [load["path"] for load in [*before, *after] if load["type"] == "font"]
    results = {
        "before_click": widget_before,
        "host_page_own": [load for load in before if load["path"] in HOST_OWN],
        "after_click": after,
        "loader_only_before_click": loader_only,
        "loader_gzip": total(widget_before, "gzip"),
        "loader_raw": total(widget_before, "raw"),
        "open_gzip": total(opened, "gzip"),
        "open_raw": total(opened, "raw"),
        "fonts": fonts,
        "click_to_message_ms": statistics.median(
            run["click_to_message_s"] * 1000 for run in runs
        ),
        "blank_page_ms": statistics.median(run["blank_page_s"] * 1000 for run in runs),
        "runs": RUNS,
        "server_errors": server_errors,
    }
    print_results(results)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "widget.json").write_text(json.dumps(results, indent=1))


def print_results(results: dict) -> None:
    print("before the click (widget resources only; the host page's own are apart):")
    for load in results["before_click"]:
        print(f"  {load['path']:28} {load['raw']:7,} B raw  {load['gzip']:7,} B gzip")
    verdict = "yes" if results["loader_only_before_click"] else "NO"
    print(f"  nothing but /widget.js before the click: {verdict}")
    print(
        f"  loader: {results['loader_gzip']:,} B gzip (target <= {LOADER_TARGET:,} B)"
    )
    print("after the click:")
    for load in results["after_click"]:
        print(
            f"  {load['path']:28} {load['raw']:7,} B raw  {load['gzip']:7,} B gzip"
            f"  {load['type']}"
        )
    print(
        f"  open chat (HTML + JS + CSS): {results['open_raw']:,} B raw, "
        f"{results['open_gzip']:,} B gzip (target <= {OPEN_TARGET:,} B)"
    )
    print(f"  fonts downloaded: {len(results['fonts'])}")
    print(
        f"click to first assistant message: {results['click_to_message_ms']:.0f} ms "
        f"(median of {results['runs']}); baseline, a blank page from the same "
        f"server in a new tab: {results['blank_page_ms']:.0f} ms"
    )
    for line in results["server_errors"][:10]:
        print(f"  server logged: {line}")


if __name__ == "__main__":
    main()
