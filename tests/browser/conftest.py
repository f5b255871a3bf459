"""A real Chromium against the app, with the host page on a second origin."""

import re
import shutil
import threading
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from assistant.extensions import db
from tests.conftest import build_app
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
BRAND_GREEN = "#0b6e4f"

expect.set_options(timeout=10_000)


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.browser)


def documented_stub() -> str:
    """The stub snippet exactly as docs/embedding.md shows it."""
    text = (ROOT / "docs" / "embedding.md").read_text()
    match = re.search(r"<!-- stub -->\s*```js\n(.*?)```", text, re.DOTALL)
    assert match, "docs/embedding.md lost its stub snippet"
    return match.group(1)


HOST_EVENTS_JS = """
window.hostEvents = [];
for (const name of ["ready", "opened", "closed", "submitted"]) {
  PortingAssistant.on(name, (detail) => hostEvents.push([name, detail]));
}
document.addEventListener("click", (event) => {
  if (event.target.id === "host-open") PortingAssistant.open();
});
"""

HOST_CSS = "body{font:16px/1.5 Georgia,serif;margin:2rem;max-width:40rem}"


def host_page(app_origin: str, widgets: str, head: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Northwind Outfitters support</title>
<link rel="stylesheet" href="/host.css">
<script src="/stub.js"></script>
<script src="/events.js"></script>
{head.replace("APP", app_origin)}
</head>
<body>
<main>
<h1>Moving your numbers to us</h1>
<p>Our assistant walks you through it and fills in the paperwork.</p>
<p><button id="host-open" type="button">Open the assistant</button></p>
</main>
{widgets.replace("APP", app_origin)}
</body>
</html>"""


def host_pages(app_origin: str) -> dict[str, tuple[str, str]]:
    one = '<script src="APP/widget.js" async data-brand-color="#0b6e4f"></script>'
    in_head = (
        '<script src="APP/widget.js" data-instance="help" data-position="left" '
        "data-open></script>"
    )
    two = (
        '<script src="APP/widget.js" data-position="left"></script>\n'
        '<script src="APP/widget.js" data-position="right"></script>'
    )
    return {
        "/": ("text/html", host_page(app_origin, one)),
        "/head.html": ("text/html", host_page(app_origin, "", head=in_head)),
        "/two.html": ("text/html", host_page(app_origin, two)),
        "/stub.js": ("text/javascript", documented_stub()),
        "/events.js": ("text/javascript", HOST_EVENTS_JS),
        "/host.css": ("text/css", HOST_CSS),
    }


def host_csp(app_origin: str) -> str:
    # The lines docs/embedding.md asks a host to add, on top of a strict policy.
    return (
        f"default-src 'self'; script-src 'self' {app_origin}; "
        f"frame-src {app_origin}; style-src 'self'; img-src 'self'"
    )


class HostServer:
    """The customer's site: static pages on another origin that embed the widget."""

    def __init__(self):
        self.pages: dict[str, tuple[str, str]] = {}
        self.csp = ""
        pages = self.pages
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                found = pages.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                kind, text = found
                body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Content-Security-Policy", server.csp)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        # "localhost" and "127.0.0.1" are different sites, so the chat frame is
        # cross-site as on a customer's help centre, storage partitioning included.
        self.origin = f"http://localhost:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self, app_origin: str) -> None:
        self.pages.update(host_pages(app_origin))
        self.csp = host_csp(app_origin)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    host = HostServer()
    tmp = tmp_path_factory.mktemp("browser-app")
    app = build_app(make_config(tmp, EMBED_ORIGINS=[host.origin]))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app_origin = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host.start(app_origin)
    yield {"app": app_origin, "host": host.origin, "flask": app}
    host.stop()
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def app_url(servers):
    return servers["app"]


@pytest.fixture(scope="session")
def host_url(servers):
    return servers["host"]


@pytest.fixture(scope="session")
def browser():
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def viewport():
    return {"width": 1280, "height": 800}


@pytest.fixture
def context(browser, viewport):
    phone = viewport["width"] < 500
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, reduced_motion="reduce"
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A page that fails the test on a script error or a CSP violation in any frame."""
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    yield page
    assert problems == []


def screenshot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def publish_screenshot(path: Path) -> None:
    """Keep docs/widget.png, the README's picture, in step with the widget."""
    shutil.copyfile(path, ROOT / "docs" / "widget.png")
