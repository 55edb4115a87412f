"""The chat page in a real browser: Debian's Chromium driven by Playwright against a real
`interviewer serve`. Assertions are on what a person sees; screenshots go to each test's tmp dir."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ANSWER = ("We'd use, um, a browser cache for static assets, a CDN edge cache with points of presence near "
          "users, an application memory cache like Redis with a TTL, and the database buffer cache. "
          "<script>alert('pwned')</script><img src=x onerror=alert(1)>")
TIMEOUT = 10_000  # ms: every wait is bounded


def start_server(settings, db: Path, log: Path, port: int = 0, extra: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """Run `interviewer serve` on a free port; return the process and its URL once it listens."""
    cmd = [sys.executable, "-m", "interviewer", "--data-dir", str(settings.data_dir), "--corpus",
           str(settings.corpus_dir), "serve", "--port", str(port), "--db", f"sqlite:///{db}", "--seed", "7", *extra]
    with open(log, "ab") as err:  # the child keeps its own copy of the file
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True)
    line = proc.stdout.readline()  # the server prints its URL once it is listening
    match = re.match(r"Serving on (http://\S+)", line)
    if not match:
        stop(proc)
        raise AssertionError(f"server did not start: {line!r}\n{log.read_text()}")
    return proc, match.group(1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


@pytest.fixture(scope="session")
def server(built_settings, tmp_path_factory):
    where = tmp_path_factory.mktemp("server")
    proc, url = start_server(built_settings, where / "sessions.db", where / "server.log")
    yield url
    stop(proc)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Shots:
    """Numbered screenshots in the test's tmp dir."""

    def __init__(self, page, where: Path):
        self.page, self.where, self.n = page, where, 0

    def __call__(self, name: str, full: bool = False) -> Path:
        self.n += 1
        path = self.where / f"{self.n:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=full)
        return path


@pytest.fixture
def page(browser, tmp_path):
    """A fresh browser profile (no token, no cookies) on a desktop-sized window."""
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    p = context.new_page()
    p.problems = []
    p.on("pageerror", lambda e: p.problems.append(f"page error: {e}"))
    p.on("console", lambda m: m.type == "error" and p.problems.append(f"console: {m.text}"))
    p.on("dialog", lambda d: (p.problems.append(f"dialog: {d.message}") if d.type == "alert" else None, d.accept()))
    yield p
    context.close()


@pytest.fixture
def shots(page, tmp_path):
    return Shots(page, tmp_path)


def begin(page, url: str, topic: str = "caching", count: int = 2) -> None:
    """Open the page and start an interview the way a person would."""
    page.goto(url)
    page.get_by_role("heading", name="Practise a system-design interview").wait_for()
    page.get_by_text(topic, exact=True).click()
    page.get_by_label("How many questions").fill(str(count))
    page.get_by_role("button", name="Start the interview").click()
    page.locator(".question-card").first.wait_for()


def answer_box(page):
    return page.get_by_role("textbox", name="Your answer")


def send(page, text: str) -> None:
    box = answer_box(page)
    box.fill(text)
    box.press("Enter")


# --------------------------------------------------------------------------- the whole way through


def test_a_newcomer_answers_sees_feedback_and_exports_the_scorecard(page, server, shots, tmp_path):
    begin(page, server)
    card = page.locator(".question-card").first
    assert "Question 1 of 2" in card.inner_text()
    assert "Source:" in card.inner_text()
    assert page.get_by_role("button", name="Hint").is_visible()
    shots("question")

    box = answer_box(page)
    box.fill(ANSWER)
    assert re.search(r"\d+ words · ~\d+ s spoken", page.locator("#counter").inner_text())
    box.press("Enter")
    assert box.input_value() == ""
    feedback = page.locator(".feedback-card").first
    feedback.wait_for()
    # The injection attempt is shown as the text it is, and nothing ran.
    mine = page.locator(".msg-user").last
    assert "<script>alert('pwned')</script><img src=x onerror=alert(1)>" in mine.inner_text()
    assert page.locator(".msg-user script, .msg-user img").count() == 0
    text = feedback.inner_text()
    assert re.search(r"\d\.\d\s*/ 5", text)
    # The bar's words count the chips: "N of M key concepts covered".
    shown = re.search(r"(\d+) of (\d+) key concepts covered", text)
    assert shown, text
    chips = feedback.locator(".chip-covered, .chip-named").count()
    assert int(shown.group(1)) == chips and int(shown.group(2)) == chips + feedback.locator(".chip-missed").count()
    assert feedback.locator(".bar-fill").count() == 1
    missed = feedback.locator("button.chip-missed")
    assert missed.count() > 0
    missed.first.click()
    assert missed.first.get_attribute("aria-expanded") == "true"
    assert feedback.locator(".reference-panel").is_visible()
    feedback.locator("summary", has_text="Model answer").click()
    assert feedback.locator(".model-answer .pre").is_visible()
    feedback.locator("summary", has_text="Your answer").click()
    assert feedback.locator("mark.filler").first.inner_text().lower() == "um"
    shots("feedback", full=True)

    page.once("dialog", lambda d: d.accept())  # "End the interview…?"
    page.get_by_role("button", name="End", exact=True).click()
    summary = page.locator(".summary-card")
    summary.wait_for()
    assert "Session summary" in summary.inner_text()
    shots("summary")

    token = page.evaluate("window.localStorage.getItem('interviewer.token')")
    links = summary.locator("a").evaluate_all("(as) => as.map((a) => a.href)")
    assert links and all("key=" in href and token not in href for href in links), "read-only links only"
    summary.get_by_role("link", name="Open the full scorecard").click()
    page.get_by_role("heading", name=re.compile("Scorecard — caching")).wait_for()
    assert "token=" not in page.url, "the token does not stay in the address bar"
    body = page.locator("main").inner_text()
    assert "Your answer".upper() in body.upper() and "<script>alert('pwned')</script>" in body
    assert page.locator("svg.chart-grades").is_visible() and page.locator("svg.chart-topics").is_visible()
    shots("scorecard", full=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Export Markdown").click()
    path = tmp_path / "export.md"
    download.value.save_as(path)
    markdown = path.read_text(encoding="utf-8")
    assert markdown.startswith("# Interview scorecard — caching")
    assert "\\<script\\>" in markdown

    page.get_by_role("link", name="History").click()
    page.get_by_role("heading", name="Your sessions").wait_for()
    assert page.get_by_role("link", name=re.compile("Open scorecard")).count() == 1
    shots("history", full=True)
    assert page.problems == []


def test_an_answer_in_several_messages_is_submitted_with_done(page, server, shots):
    begin(page, server, count=5)
    # A choice question takes its letter at once; this test needs one answered in words.
    while page.locator(".question-card").last.locator("ol.options").count():
        cards = page.locator(".question-card").count()
        send(page, "/skip")
        page.locator(".question-card").nth(cards).wait_for()
    done = page.get_by_role("button", name="Done — submit answer")
    assert not done.is_visible()
    send(page, "A browser cache first,")
    page.get_by_text("say “done” when you've finished").first.wait_for()
    done.wait_for(state="visible")
    send(page, "then a CDN edge cache near users, an application cache like Redis and the database buffer cache")
    done.click()
    page.locator(".feedback-card").first.wait_for()
    assert not done.is_visible()
    shots("multi-part-feedback")
    assert not page.problems


def test_lookup_shows_cited_passages_that_expand(page, server, shots):
    begin(page, server, topic="consensus")
    send(page, "/lookup fencing token")
    card = page.locator(".lookup-card")
    card.wait_for()
    hits = card.locator("details.hit")
    assert hits.count() >= 2
    assert "line" in hits.first.locator("> summary").inner_text()
    assert hits.first.locator("mark").first.is_visible()  # the matched words, highlighted
    second = hits.nth(1)
    assert not second.locator(".snippet").is_visible()
    second.locator("> summary").click()
    assert second.locator(".snippet").is_visible()
    shots("lookup")
    assert page.problems == []


# --------------------------------------------------------------------------- resume


def test_a_reload_replays_the_conversation_and_carries_on(page, server, shots):
    begin(page, server, count=3)
    page.get_by_role("button", name="Skip").click()
    page.get_by_text("Question 2 of 3").wait_for()
    page.reload()
    page.get_by_text("Welcome back").wait_for()
    assert page.locator(".question-card").count() == 2
    assert page.locator(".msg-user").last.inner_text().endswith("/skip")
    shots("resumed")
    page.get_by_role("button", name="Repeat").click()
    page.locator(".question-card").nth(2).wait_for()
    assert "Question 2 of 3" in page.locator(".question-card").nth(2).inner_text()
    assert page.problems == []


def test_a_long_conversation_resumes_with_its_latest_turns_and_earlier_ones_on_request(page, built_settings,
                                                                                        tmp_path, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_TRANSCRIPT_PAGE", "4")  # the server sends 4 turns at a time
    proc, url = start_server(built_settings, tmp_path / "long.db", tmp_path / "server.log")
    try:
        begin(page, url, count=3)
        for i in range(3):
            send(page, f"/lookup cache stampede {i}")
            page.locator(".msg-lookup").nth(i).wait_for()
        page.reload()
        page.get_by_text("Welcome back").wait_for()
        assert page.locator(".msg-user").count() == 2  # the latest 4 turns: two look-ups and their answers
        more = page.get_by_role("button", name=re.compile("Show earlier turns"))
        while more.count():
            more.click()
            page.wait_for_function("() => !document.querySelector('.msg-earlier button[disabled]')")
        users = page.locator(".msg-user").all_inner_texts()
        assert [u.rsplit("/lookup", 1)[-1].strip() for u in users] == [f"cache stampede {i}" for i in range(3)]
        assert page.locator(".question-card").count() == 1 and page.problems == []
    finally:
        stop(proc)


def test_the_page_reconnects_and_resumes_after_a_server_restart(browser, built_settings, tmp_path):
    db, log = tmp_path / "restart.db", tmp_path / "server.log"
    proc, url = start_server(built_settings, db, log)
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        begin(page, url, count=3)
        send(page, "/skip")
        page.get_by_text("Question 2 of 3").wait_for()
        stop(proc)
        page.get_by_text("Connection lost").wait_for()
        page.screenshot(path=str(tmp_path / "disconnected.png"))
        draft = "half an answer I was typing while the server was away"
        answer_box(page).fill(draft)
        proc, _ = start_server(built_settings, db, log, port=int(url.rsplit(":", 1)[1]))
        page.get_by_text("Welcome back").wait_for(timeout=15_000)
        assert answer_box(page).input_value() == draft, "the draft survives the reconnect"
        assert page.locator(".question-card").count() == 2
        page.screenshot(path=str(tmp_path / "reconnected.png"))
    finally:
        context.close()
        stop(proc)


# --------------------------------------------------------------------------- access


def test_keyboard_alone_starts_an_interview_and_sends_an_answer(page, server):
    page.goto(server)
    page.get_by_role("heading", name="Practise a system-design interview").wait_for()
    # The page puts the focus on the topic choice; Shift+Tab reaches the skip link and the menu.
    assert page.evaluate("document.activeElement.name") == "topic"
    back = 0
    while page.evaluate("document.activeElement.textContent") != "History" and back < 4:
        page.keyboard.press("Shift+Tab")
        back += 1
    assert page.evaluate("document.activeElement.textContent") == "History"
    for _ in range(back):
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "topic"
    page.keyboard.press("ArrowRight")  # the next topic
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "level"
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "start"
    page.keyboard.press("Enter")
    page.locator(".question-card").first.wait_for()
    assert page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.type(ANSWER)
    page.keyboard.press("Shift+Enter")  # a new line, not a send
    page.keyboard.type("And that is my answer.")
    assert "\n" in answer_box(page).input_value()
    page.keyboard.press("Enter")
    page.locator(".feedback-card, .summary-card").first.wait_for()
    assert page.problems == []


def test_the_page_fits_a_phone_and_refuses_an_oversized_message_kindly(browser, server, tmp_path):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    try:
        begin(page, server)
        send(page, ANSWER)
        page.locator(".feedback-card").first.wait_for()
        page.screenshot(path=str(tmp_path / "phone-feedback.png"))
        page.screenshot(path=str(tmp_path / "phone-feedback-full.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"no sideways scrolling ({width}px)"
        assert answer_box(page).is_visible() and page.get_by_role("button", name="Send").is_visible()
        big = "word " * 2000
        answer_box(page).fill(big)
        answer_box(page).press("Enter")
        page.get_by_text("the limit is 8,192").wait_for()
        assert answer_box(page).input_value() == big, "nothing typed is lost"
        page.screenshot(path=str(tmp_path / "phone-too-long.png"))
    finally:
        context.close()


def test_another_origin_cannot_open_a_socket(server):
    import socketio

    stranger = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        stranger.connect(server, headers={"Origin": "http://evil.example"}, transports=["websocket"],
                         wait_timeout=5)
    friend = socketio.Client(reconnection=False)
    friend.connect(server, transports=["websocket"], wait_timeout=5)  # its own origin
    assert friend.connected
    friend.disconnect()


# --------------------------------------------------------------------------- talks like an interviewer


def test_the_commands_the_page_offers_are_the_ones_help_lists(page, server):
    from interviewer.dialogue.intents import default_rules

    begin(page, server, count=1)
    toolbar = page.get_by_role("toolbar", name="Interview commands")
    shown = [b.inner_text() for b in toolbar.locator("button:not([hidden])").all()]
    # One table makes the buttons, the help text and the commands: Retry is there too.
    assert shown == [c.button for c in default_rules().listed if c.button]
    send(page, "/help")
    help_text = page.get_by_text("Commands (or just say them)").inner_text()
    for c in default_rules().listed:
        assert c.usage.replace("<", "").split(" ")[0] in help_text
    send(page, ANSWER)
    page.locator(".feedback-card").first.wait_for()
    page.get_by_role("button", name="Retry").click()
    again = page.locator(".question-card").nth(1)
    again.wait_for()
    assert "try that one again" in again.inner_text()


def test_the_numbers_on_a_scorecard_agree(page, server):
    begin(page, server, count=2)
    spoken = "um so, you know, I'd use a read-through cache with a TTL, and write-through for hot keys you know"
    box = answer_box(page)
    box.fill(spoken)
    counter = page.locator("#counter").inner_text()
    box.press("Enter")
    card = page.locator(".feedback-card").first
    card.wait_for()
    words = card.locator("dt", has_text="Words").locator("xpath=following-sibling::dd").inner_text()
    # The box's counter counts words as the scorecard does.
    assert counter.startswith(f"{words} words"), (counter, words)
    most = card.locator("dt", has_text="Most used")
    if most.count():
        used = most.locator("xpath=following-sibling::dd").inner_text()
        assert "know" not in used and not re.search(r"\b(read|write)\b(?!-)", used), used


def test_after_the_summary_the_box_rests_and_a_new_interview_needs_no_confirmation(page, server):
    begin(page, server, count=1)
    send(page, ANSWER)
    page.locator(".feedback-card").first.wait_for()
    send(page, "/end")  # a typed /end asks nothing
    page.locator(".summary-card").wait_for()
    assert answer_box(page).is_disabled()
    assert page.get_by_role("button", name="Hint").is_disabled()
    page.problems.clear()
    page.locator("#new-interview").click()
    page.get_by_role("heading", name="Practise a system-design interview").wait_for()
    assert not any(p.startswith("dialog") for p in page.problems)


def test_history_says_an_interview_ended_early_with_its_topic(page, server):
    begin(page, server, topic="Surprise me", count=3)
    send(page, ANSWER)
    page.locator(".feedback-card").first.wait_for()
    send(page, "/end")
    page.locator(".summary-card").wait_for()
    page.goto(server + "/history")
    row = page.locator("table.history tbody tr").first
    text = row.inner_text()
    assert "ended early (1 of 3)" in text and "mixed topics" in text and "surprise" not in text
    chart = page.locator("svg.chart-trend")
    box = chart.bounding_box()
    # Drawn at its own size: 12 px labels stay small, and the last date is not cut at the edge.
    assert box["width"] <= 481
    label = chart.locator("text").last.bounding_box()
    assert label["x"] + label["width"] <= box["x"] + box["width"] + 0.5


def test_dictation_says_it_stays_on_this_machine(page, server):
    begin(page, server, count=1)
    mic = page.locator("#mic")
    if mic.is_hidden():
        pytest.skip("dictation is off on this server")
    note = mic.get_attribute("title") + " " + page.locator(".lead").inner_text()
    assert "offline" in note and "goes nowhere else" in note


def test_a_design_round_grades_a_typed_prompt_on_the_rubric(page, server, shots):
    page.goto(server)
    page.get_by_role("heading", name="Practise a system-design interview").wait_for()
    page.get_by_text("Design round", exact=True).click()
    assert page.get_by_text("Pick a topic").is_hidden()
    page.get_by_role("button", name="Start the design round").click()
    page.locator(".msg-interviewer").first.wait_for()
    send(page, "design a URL shortener")
    page.locator(".question-card").first.wait_for()
    for part in ("First the requirements: users shorten a long URL and get redirected.",
                 "100M DAU, each makes 10 requests a day, that is about 11.6k QPS.",
                 "The API is POST /shorten and GET /{code}; a table keyed by code holds the long URL.",
                 "If the cache fails we fall back to the database."):
        send(page, part)
    page.get_by_role("button", name="Done — submit answer").click()
    rubric = page.locator(".feedback-card .rubric").first
    rubric.wait_for()
    text = rubric.inner_text()
    assert re.search(r"Design rubric: (strong|solid|borderline|not yet) \(0\.\d\d\)", text, re.I)
    assert "✓ 11.6k QPS" in text and "not a hiring decision" in text
    shots("design-round")
# --------------------------------------------------------------------------- practice: review and progress
# An interview on day 1 (served with `serve --now`), a Review on day 3 from the start page, the progress page.


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
