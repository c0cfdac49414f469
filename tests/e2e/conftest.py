"""Browser tests: the real app served from a subprocess, driven by Debian's chromium.

The server gets its own data folder, migrated and loaded with the demo data (``isms demo``),
runs as in production (``ISMS_TESTING`` unset, so argon2 and login throttling are real) and is
stopped after the session. Every page opened through the ``page`` fixture fails the test on a
console error, an uncaught page error, or a request to any host but the test server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.i18n import ensure_compiled

from .browser import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, HOST, PageWatch

START_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _isms_command() -> str:
    return str(Path(sys.executable).with_name("isms"))


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"isms serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.25)
    raise RuntimeError(f"isms serve did not answer {url} in {START_TIMEOUT}s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the test server (and of ``isms`` commands run against its data)."""
    data_dir = tmp_path_factory.mktemp("isms-e2e")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "ISMS_TESTING")}
    env.update(
        ISMS_DATA_DIR=str(data_dir),
        ISMS_SECRET_KEY="e2e-only-not-secret",
        DJANGO_SETTINGS_MODULE="isms.settings",
        # quarantine releases are written to files, never sent (tests/e2e/test_quarantine.py)
        ISMS_QUARANTINE_RELEASE_TO=f"dir:{data_dir / 'release-outbox'}",
    )
    return env


@pytest.fixture(scope="session")
def live_server_url(server_env: dict[str, str]) -> Iterator[str]:
    """Migrate a fresh data folder, load the demo and serve it; yield its base URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk")
    ensure_compiled()
    env = server_env
    data_dir = Path(env["ISMS_DATA_DIR"])
    isms = _isms_command()
    for args in (["migrate", "--no-input"], ["demo", "--password", DEMO_PASSWORD]):
        done = subprocess.run([isms, *args], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"isms {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    port = _free_port()
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [isms, "serve", f"{HOST}:{port}", "--no-worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{HOST}:{port}"
    try:
        _wait_until_up(f"{base}/login/", process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def watch(live_server_url: str) -> PageWatch:
    return PageWatch(base=live_server_url)


@pytest.fixture
def page(browser: Browser, live_server_url: str, watch: PageWatch) -> Iterator[Page]:
    """A fresh browser context (no cookies) whose page is watched for errors and leaks."""
    context = browser.new_context(
        base_url=live_server_url, locale="ja-JP", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.on("console", watch.on_console)
    page.on("pageerror", watch.on_page_error)
    page.on("request", watch.on_request)
    yield page
    context.close()
    watch.assert_clean()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    path = Path(os.environ.get("ISMS_E2E_SCREENSHOTS", "/tmp/isms-e2e-screenshots"))
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    return path
