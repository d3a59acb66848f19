"""The HTML report opened in a real browser: self-contained, failures first, evidence redacted."""

from __future__ import annotations

import pytest

from conformance.browser import BrowserUnavailable, browser, chromium_path
from tests.conftest import cli


@pytest.fixture(scope="module")
def failing_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    proc = cli(
        "run", "--contract", "ott_idp", "--report-dir", str(out), "--fault", "ott_idp.id_token_wrong_aud"
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    return out / "report.html"


def test_report_renders_offline_with_failures_first(failing_report):
    try:
        chromium_path()
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))
    requests = []
    with browser() as b:
        page = b.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.goto(failing_report.as_uri())
        assert page.locator("#verdict").inner_text() == "NON-CONFORMANT"
        first = page.locator(".req").first
        assert first.get_attribute("id") == "OTT-IDT-006"
        assert "FAIL" in first.inner_text() and "does not name the client" in first.inner_text()
        # The failing requirement shows its exchange, with the id_token redacted to a summary.
        evidence = first.locator("pre").first.text_content()
        assert "POST" in evidence and "eyJ" not in evidence
        assert page.locator(".req").count() >= 40
        png = page.screenshot(full_page=False)
    assert requests == [failing_report.as_uri()], f"the report loaded {requests[1:]}"
    assert len(png) > 10_000
