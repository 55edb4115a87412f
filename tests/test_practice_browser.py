"""Practice in a real browser: an interview on day 1 (served with `serve --now`), a Review on day 3 from the
start page, and the progress page — Debian's Chromium driven by Playwright, as in test_browser.py."""

from __future__ import annotations

import re

import pytest
from test_browser import answer_box, browser, page, send, start_server, stop  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def serve_on(built_settings, tmp_path, day: str):
    """Run `interviewer serve --now <day>` on the test's database."""
    return start_server(built_settings, tmp_path / "sessions.db", tmp_path / "server.log", extra=("--now", day))


def test_what_was_missed_on_day_one_comes_back_in_review_on_day_three(page, built_settings, tmp_path):
    proc, url = serve_on(built_settings, tmp_path, "2025-03-01T09:00:00Z")
    try:
        page.goto(url)
        page.get_by_role("heading", name="Practise a system-design interview").wait_for()
        assert "take an interview first" in page.locator("#review-due").inner_text()
        page.get_by_text("consensus", exact=True).click()
        page.get_by_label("How many questions").fill("1")
        page.get_by_role("button", name="Start the interview").click()
        page.locator(".question-card").first.wait_for()
        send(page, "I don't know")
        page.locator(".summary-card").wait_for()
        coming = page.locator(".summary-card .coming-back")
        assert "tomorrow" in coming.inner_text()
        assert not page.problems, page.problems
    finally:
        stop(proc)
    page.goto("about:blank")
    page.problems.clear()  # the day-1 page's socket retrying the stopped server: expected

    # Two days later, on another port: cookies go by host, so the new server knows this browser's learner
    # (the page's resume token is kept per origin, so it starts afresh).
    proc, url = serve_on(built_settings, tmp_path, "2025-03-03T09:00:00Z")
    try:
        page.goto(url)
        page.get_by_role("heading", name="Practise a system-design interview").wait_for()
        due = page.locator("#review-due").inner_text()
        assert re.match(r"\d+ concepts? due for review", due), due
        page.get_by_role("button", name="Review", exact=True).click()
        greeting = page.locator(".log li").filter(has_text="Review: ").first
        greeting.wait_for()
        text = greeting.inner_text()
        assert re.search(r"Review: \d+ concepts? (is|are) due\.", text) and "you missed “" in text
        assert "2 days ago" in text
        page.locator(".question-card").first.wait_for()
        assert not page.problems, page.problems

        page.get_by_role("link", name="Progress").click()
        page.get_by_role("heading", name="Your progress").wait_for()
        assert int(page.locator("#due-today").inner_text()) > 0
        assert page.locator("svg.chart").count() >= 1
        assert page.locator("table.mastery tbody tr").count() >= 1
        assert "again" in page.locator("table.mastery").first.inner_text()
        page.screenshot(path=str(tmp_path / "progress.png"), full_page=False)
        with page.expect_download() as download:
            page.get_by_role("link", name="Export progress (JSON)").click()
        assert download.value.suggested_filename == "interviewer-progress-2025-03-03.json"
        assert not page.problems, page.problems
    finally:
        stop(proc)
