"""Helpers for the browser tests: the page watch and the log-in step."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Error, Page, Request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "e2e-demo-password"
HOST = "127.0.0.1"


@dataclass
class PageWatch:
    """What a page did that a test must not allow: console errors, foreign requests."""

    base: str
    console_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def expect_status(self, status: int) -> None:
        """Allow the browser's own log line for a page answered with ``status`` (e.g. 403)."""
        self.expected_statuses.add(status)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        status = re.match(r"Failed to load resource: .* status of (\d{3})\b", message.text)
        if status and int(status.group(1)) in self.expected_statuses:
            return
        self.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Error) -> None:
        self.console_errors.append(f"uncaught: {error}")

    def on_request(self, request: Request) -> None:
        url = request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.hostname != HOST or f"{parts.scheme}://{parts.netloc}" != self.base:
            self.foreign_requests.append(url)

    def assert_clean(self) -> None:
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.foreign_requests, f"requests to other hosts: {self.foreign_requests}"


def log_in(page: Page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the form and land on the dashboard."""
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(f"{base}/")
