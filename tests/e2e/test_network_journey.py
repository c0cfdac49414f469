"""Browser journey of issue 8: a network check finds a violation on a named system; an approved
例外措置 for exactly that flow makes the re-run compliant.

The lead (髙橋, login ``lead``) opens the network page from the menu, uploads the demo network of
都留市 as a zip (src/isms/data/tsuru/network/, zipped here), waits for the check (a Huey worker
runs beside the server for this test), sees one violation reaching 文書管理システム
(bunsho-sv01, 10.20.1.10) with the rule lines, and asks for an exception for that flow; the CISO
(山田, login ``ciso``) approves it; the lead runs the check again and sees it compliant, the
exception used. Nothing here depends on other journeys: the network is uploaded by this test and
the exception is found by the number the page gives it.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .browser import log_in

pytestmark = pytest.mark.e2e

DEMO_NETWORK = Path(__file__).resolve().parents[2] / "src/isms/data/tsuru/network"
CHECK_TIMEOUT = 60_000


@pytest.fixture
def worker(server_env: dict[str, str], tmp_path: Path) -> Iterator[None]:
    """A Huey worker for the server's queue (the server runs without one), periodic tasks off."""
    log = (tmp_path / "huey.log").open("wb")
    command = [str(Path(sys.executable).with_name("isms")), "run_huey", "--no-periodic", "-q"]
    process = subprocess.Popen(command, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _demo_zip(folder: Path) -> Path:
    """The demo network's folder as a zip, the way a file manager makes one."""
    path = folder / "tsuru-network.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(DEMO_NETWORK.iterdir()):
            if file.is_file():
                archive.write(file, f"network/{file.name}")
    return path


def _wait_for_check(page: Page) -> None:
    expect(page.locator("#network-check")).to_have_attribute(
        "data-status", "done", timeout=CHECK_TIMEOUT
    )


def test_a_violation_on_a_named_system_passes_once_its_exception_is_approved(
    page: Page, live_server_url: str, worker: None, tmp_path: Path, screenshots_dir: Path
):
    # given: the lead on the network page, opened from the menu
    log_in(page, live_server_url, "lead")
    page.locator("nav a[href='/assets/network/']").first.click()
    expect(page).to_have_url(f"{live_server_url}/assets/network/")
    # when: the demo network is uploaded as a zip
    upload = page.locator("form[action$='/assets/network/upload/']")
    upload.locator("#id_name").fill("都留市 デモネットワーク（E2E）")
    upload.locator("#id_files").set_input_files(_demo_zip(tmp_path))
    upload.locator("button[type=submit]").click()
    # then: the check finishes with one violation, on 文書管理システム, with the rule lines
    _wait_for_check(page)
    expect(page.locator("[data-verdict='violations']")).to_be_visible()
    violations = page.locator("article.violation")
    expect(violations).to_have_count(1)
    violation = violations.first
    expect(violation).to_contain_text("inet-vdi")
    expect(violation).to_contain_text("lgwan-servers")
    expect(violation.locator("a[data-asset='A-110-001']")).to_contain_text("文書管理システム")
    expect(violation.locator("[data-rule='fw-edge.conf:91']")).to_be_visible()
    expect(violation.locator("[data-rule='fw-core.rules:9']")).to_be_visible()
    check_url = page.url
    page.screenshot(path=str(screenshots_dir / "network-violation.png"), full_page=True)

    # when: the lead asks for an exception for exactly that flow (the form is pre-filled)
    violation.locator("a[href*='/assets/network/exceptions/?']").click()
    form = page.locator("form[action$='/assets/network/exceptions/']")
    expect(form.locator("#id_sources")).to_have_value("172.16.8.0/24")
    expect(form.locator("#id_destinations")).to_have_value("10.20.1.10")
    expect(form.locator("#id_services")).to_have_value("tcp/443")
    form.locator("#id_reason").fill("文書管理サーバの保守（仮想ブラウザ経由、R8年度末まで）")
    form.locator("button[type=submit]").click()
    requested = page.locator("tr[data-status='requested']").filter(has_text="10.20.1.10/32").last
    expect(requested).to_be_visible()
    number = requested.get_attribute("data-exception")
    assert number and number.startswith("EX-")
    # then: the requester cannot approve it themself
    expect(requested.locator("button.primary")).to_have_count(0)

    # when: the CISO approves it
    page.context.clear_cookies()
    log_in(page, live_server_url, "ciso")
    page.goto("/assets/network/exceptions/")
    row = page.locator(f"tr[data-exception='{number}']")
    row.locator("button.primary").click()
    expect(page.locator(f"tr[data-exception='{number}']")).to_have_attribute(
        "data-status", "approved"
    )

    # when: the lead runs the check again
    page.context.clear_cookies()
    log_in(page, live_server_url, "lead")
    page.goto(check_url)
    page.locator("#network-check form[action$='/run/'] button").click()
    # then: compliant, with the exception listed as used
    expect(page).not_to_have_url(check_url)
    _wait_for_check(page)
    expect(page.locator("[data-verdict='compliant']")).to_be_visible()
    expect(page.locator("article.violation")).to_have_count(0)
    used = page.locator(f"[data-section='exceptions'] tr[data-exception='{number}']")
    expect(used.locator("[data-used='yes']")).to_be_visible()
    page.screenshot(path=str(screenshots_dir / "network-compliant.png"), full_page=True)
