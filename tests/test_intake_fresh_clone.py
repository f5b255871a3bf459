import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
START_TIMEOUT = 90


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fresh_clone(target: Path) -> Path:
    """The files a clone would hold: tracked ones and new ones not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def installed_venv(target: Path) -> Path:
    """A virtualenv as `make` leaves it, borrowing this checkout's installed tools.

    Reinstalling every package from the network would test pip, not the app,
    so the clone's .venv/bin points at this checkout's programs.
    """
    bin_dir = target / "bin"
    bin_dir.mkdir(parents=True)
    for program in ("python", "python3", "flask", "pip"):
        (bin_dir / program).symlink_to(VENV_BIN / program)
    (bin_dir / ".installed").touch()
    return target


def get(url: str, data: bytes | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def wait_for(url: str, process: subprocess.Popen) -> tuple[int, str]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the run command stopped:\n{process.stdout.read()}")
        try:
            return get(url)
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"nothing answered on {url}")


def test_the_readme_names_make_run_and_make_test_as_its_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    block = readme.split("## Two commands", 1)[1].split("```sh", 1)[1]
    commands = [
        line.split("#")[0].strip() for line in block.split("```")[0].split("\n")
    ]
    assert [c for c in commands if c] == ["make run", "make test"]


def test_the_run_command_starts_a_fresh_clone_with_the_widget_on_the_demo_page(
    tmp_path,
):
    clone = fresh_clone(tmp_path / "clone")
    venv = installed_venv(tmp_path / "venv")
    assert not (clone / "instance").exists()
    port = free_port()
    environment = {
        k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")
    }
    process = subprocess.Popen(
        ["make", "run", f"VENV={venv}", f"PORT={port}"],
        cwd=clone,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status, page = wait_for(f"{base}/", process)
        widget_status, widget = get(f"{base}/widget.js")
        chat_status, _ = get(f"{base}/chat")
        health_status, health = get(f"{base}/healthz")
        created_status, created = get(f"{base}/api/conversations", b"{}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        process.stdout.close()

    assert status == 200
    assert len(re.findall(r'<script src="/widget\.js"[^>]*>', page)) == 1
    assert widget_status == 200 and "iframe" in widget
    assert chat_status == 200
    assert (health_status, json.loads(health)) == (200, {"status": "ok"})
    assert created_status == 201
    assert json.loads(created)["state"] == "welcome"
    # The set-up step made the embedded default and the secrets, in the clone.
    made = sorted(p.name for p in (clone / "instance").iterdir())
    assert {"assistant.db", "encryption_keys", "secret_key"} <= set(made)
