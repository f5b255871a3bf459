import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "assistant" / "static"
LOADER = (STATIC / "widget.js").read_text()
CHAT_JS = (STATIC / "chat.js").read_text()
EMBEDDING_GUIDE = (ROOT / "docs" / "embedding.md").read_text()


def gzipped_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=9))


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, styles, handlers."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[dict] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            self._in_script = True
            if not attributes.get("src"):
                self.problems.append("script without src")
        if tag == "style":
            self.problems.append("style element")
        for name in attributes:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{name} attribute on {tag}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script text")


def test_loader_is_at_most_3_kb_gzipped():
    assert gzipped_size(LOADER.encode()) <= 3 * 1024


def test_open_chat_html_js_and_css_together_are_at_most_30_kb_gzipped(client):
    total = 0
    for path in ("/chat", "/static/chat.js", "/static/chat.css"):
        with client.get(path) as response:
            assert response.status_code == 200, path
            total += gzipped_size(response.data)

    assert total <= 30 * 1024


@pytest.mark.parametrize("path", ["/", "/chat"])
def test_served_pages_carry_no_inline_script_style_or_event_handler(client, path):
    response = client.get(path)
    finder = InlineCodeFinder()
    finder.feed(response.get_data(as_text=True))

    assert response.status_code == 200
    assert finder.problems == []
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_demo_page_embeds_the_widget_with_one_script_tag_like_a_customer(client):
    finder = InlineCodeFinder()
    finder.feed(client.get("/").get_data(as_text=True))

    loaders = [s for s in finder.scripts if s["src"].endswith("/widget.js")]
    assert len(loaders) == 1
    assert "async" in loaders[0]
    assert loaders[0]["data-brand-color"] == "#1f5fbf"
    assert all(s["src"] == "/widget.js" for s in finder.scripts)


def test_chat_page_passes_the_brand_colour_without_a_style_attribute(client):
    page = client.get("/chat").get_data(as_text=True)

    assert 'data-brand-color="#1f5fbf"' in page
    assert 'role="log"' in page
    assert 'aria-live="polite"' in page


def test_widget_assets_download_no_fonts_and_no_other_files():
    for name in ("chat.css", "site.css"):
        css = (STATIC / name).read_text()
        assert "@font-face" not in css
        assert "@import" not in css
        assert "url(" not in css
    for script in (LOADER, CHAT_JS):
        assert not re.search(r"^\s*import\b|\bimport\(", script, re.MULTILINE)


def test_loader_reads_exactly_the_data_attributes_the_embedding_guide_lists():
    table = EMBEDDING_GUIDE.split("## 2.")[0]
    documented = set(re.findall(r"^\| `data-([a-z-]+)`", table, re.MULTILINE))

    read = set(re.findall(r"\bdata\.([a-zA-Z]+)", LOADER))
    as_attributes = {
        re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), n) for n in read
    }

    assert (
        as_attributes
        == documented
        == {
            "brand-color",
            "position",
            "open",
            "instance",
            "origin",
        }
    )


def test_page_and_frame_never_post_to_any_origin():
    for script in (LOADER, CHAT_JS):
        calls = re.findall(r"postMessage\(([^;]*)\);", script, re.DOTALL)
        assert calls
        assert all("'*'" not in call and '"*"' not in call for call in calls)
    assert "event.origin !== origin" in LOADER
    assert "event.origin !== parentOrigin" in CHAT_JS


@pytest.mark.parametrize("path", ["/", "/chat", "/port", "/status", "/staff/login"])
def test_every_page_names_an_icon_that_is_served(client, path):
    page = client.get(path).get_data(as_text=True)

    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
