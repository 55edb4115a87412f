"""Regenerate the README's progress screenshot: a learner's two interviews on day 1 and a review on day 3,
imported into a browser on day 4 and shown on /progress.

    .venv/bin/python docs/progress_screenshot.py      # writes docs/progress.png

The sessions run through the engine and the store with an injected clock; the page is a real
`interviewer serve --now` (for tests and demos) in Debian's Chromium. Needs Playwright.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from interviewer.bank import Bank
from interviewer.config import load_settings

HERE = Path(__file__).resolve().parent
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def serve(db: str, now: str) -> tuple[subprocess.Popen, str]:
    cmd = [sys.executable, "-m", "interviewer", "serve", "--port", "0", "--seed", "4", "--db", db, "--now", now]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    return server, re.match(r"Serving on (http://\S+)", server.stdout.readline()).group(1)


def half_known(bank: Bank, question_id: str) -> str:
    """Answer a question the way a half-prepared candidate would: the notes' sentences for every other concept."""
    q = bank.get(question_id)
    said = " ".join(c.evidence for c in sorted(q.concepts, key=lambda c: c.id)[::2])
    return (f"{q.answer_option}. " if q.options else "") + (said or "I don't know")


def practise(db: str, export: Path) -> None:
    """Two interviews on day 1 and a review on day 3 through the engine and the store, then export them."""
    from datetime import datetime, timezone

    from interviewer.dialogue import Config
    from interviewer.practice import Practice
    from interviewer.practice.exchange import export_progress
    from interviewer.services import open_services
    from interviewer.store import Store

    services = open_services(load_settings())
    with Store.open(db) as store:
        who = store.learner("demo")
        practice = Practice(services.bank, services.inventory)
        days = [("2025-03-01T09:00:00", Config(topic="consensus", count=3, seed=4)),
                ("2025-03-01T18:00:00", Config(topic="caching", count=3, seed=4)),
                ("2025-03-03T09:00:00", Config(round="review", seed=4))]
        for day, config in days:
            now = datetime.fromisoformat(day).replace(tzinfo=timezone.utc)
            engine = services.interviewer(clock=now.timestamp)
            plan = practice.review_plan(store, who.id, now, seed=4) if config.round == "review" else None
            state, replies = engine.start(config, review=plan)
            record = store.create_session({}, state, [r.to_dict() for r in replies], learner=who.id, at=now)
            while state.phase != "ended":
                text = (half_known(services.bank, state.current) if state.phase == "asking" and not state.draft
                        else "done" if state.draft else "next" if state.phase == "followup" else "no")
                after, replies = engine.handle(state, text)
                replies, write = practice.turn(store, who.id, state, after, replies, now)
                store.record_turn(record.id, text, [r.to_dict() for r in replies], after, practice=write, at=now)
                state = after
        export.write_text(json.dumps(export_progress(store, who, now)), encoding="utf-8")
    services.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        export = Path(tmp) / "progress.json"
        practise(f"sqlite:///{tmp}/demo.db", export)
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 1500})
        page.set_default_timeout(15_000)
        server, url = serve(f"sqlite:///{tmp}/sessions.db", "2025-03-04T09:00:00Z")
        try:
            # A browser imports the learner's progress (as when changing browsers), then looks at it.
            page.goto(url + "/progress")
            page.get_by_label("Import an export").set_input_files(str(export))
            page.get_by_role("button", name="Import", exact=True).click()
            page.get_by_text(re.compile(r"Imported \d+ reviews")).wait_for()
            page.screenshot(path=str(HERE / "progress.png"), full_page=False)
        finally:
            server.terminate()
            server.wait(timeout=10)
        browser.close()
    print("wrote", HERE / "progress.png")


if __name__ == "__main__":
    main()
