"""Regenerate the README's screenshots: a real `interviewer serve`, Debian's Chromium, Playwright.

    .venv/bin/python docs/screenshots.py        # writes docs/feedback.png and docs/scorecard.png

Needs the test extra (Playwright) and /usr/bin/chromium, like the browser tests.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# The answer to the question the seeded session asks second (a cellular architecture for an S3-like store).
ANSWER = ("Um so I'd split the whole stack into cells: each cell is a complete, self-contained copy, like front-end "
          "services, metadata partitions and its own storage cluster, with a fixed maximum size. A thin routing "
          "layer, basically a global gateway, maps each bucket to one cell, and to scale you add cells instead of "
          "growing one. The key reliability benefit is the blast radius: a bad deploy or a poison request only "
          "takes down one cell, and since a cell has a maximum size you can load test it at that capacity.")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "interviewer", "serve", "--port", "0", "--seed", "3",
               "--db", f"sqlite:///{tmp}/sessions.db"]
        server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        try:
            url = re.match(r"Serving on (http://\S+)", server.stdout.readline()).group(1)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                page = browser.new_page(viewport={"width": 1000, "height": 1600})
                page.set_default_timeout(15_000)
                shoot(page, url)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


def shoot(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Practise a system-design interview").wait_for()
    page.get_by_text("reliability", exact=True).click()
    page.get_by_label("How many questions").fill("3")
    page.get_by_role("button", name="Start the interview").click()
    box = page.get_by_role("textbox", name="Your answer")
    page.locator(".question-card").first.wait_for()
    # Skip to a question answered in words (not a choice question), for a full feedback card.
    while page.locator(".question-card").last.locator("ol.options").count():
        cards = page.locator(".question-card").count()
        box.fill("/skip")
        box.press("Enter")
        page.locator(".question-card").nth(cards).wait_for()
    box.fill(ANSWER)
    box.press("Enter")
    feedback = page.locator(".feedback-card").last
    feedback.wait_for()
    feedback.locator("button.chip-missed").first.click()
    feedback.locator("summary", has_text="Your answer").click()
    feedback.screenshot(path=str(HERE / "feedback.png"))
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="End", exact=True).click()
    page.locator(".summary-card").wait_for()
    page.locator(".summary-card").get_by_role("link", name="Open the full scorecard").click()
    page.get_by_role("heading", name=re.compile("Scorecard")).wait_for()
    page.screenshot(path=str(HERE / "scorecard.png"), full_page=False)
    print("wrote", HERE / "feedback.png", "and", HERE / "scorecard.png")


if __name__ == "__main__":
    main()
