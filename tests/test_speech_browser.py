"""Dictate in a real browser: Chromium's fake microphone plays a flite recording, the page streams it
through its AudioWorklet to `interviewer serve`, which recognises it offline; the text lands in the
answer box for the candidate to correct."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading

import pytest

from test_browser import ARGS, CHROMIUM, TIMEOUT, answer_box, begin, start_server, stop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SAID = "So basically I would put the events into Kafka and use a saga with compensating transactions."


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    if not shutil.which("flite"):
        pytest.skip("flite is missing (apt-get install flite; .ci/run installs it)")
    path = tmp_path_factory.mktemp("voice") / "answer.wav"
    subprocess.run(["flite", "-voice", "slt", "-t", SAID, "-o", str(path)], check=True)
    return path


def in_own_thread(scenario, *args):
    """Run a Playwright scenario in a thread of its own: the browser tests of test_browser.py keep a
    session-long Playwright running in this thread, and two sync Playwrights cannot share one."""
    failure = []

    def run():
        try:
            scenario(*args)
        except BaseException as exc:  # handed back to the test's thread
            failure.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join(timeout=240)
    assert not t.is_alive(), "the browser scenario did not finish within 240 s"
    if failure:
        raise failure[0]


def with_speaking_browser(recording, scenario):
    """Launch Chromium whose fake microphone plays `recording`, and run scenario(browser)."""
    from playwright.sync_api import sync_playwright

    args = [*ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={recording}%noloop"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            scenario(b)
        finally:
            b.close()


@pytest.fixture(scope="module")
def server(built_settings, tmp_path_factory):
    where = tmp_path_factory.mktemp("speech-server")
    proc, url = start_server(built_settings, where / "sessions.db", where / "server.log")
    yield url
    stop(proc)


def test_dictate_shows_the_words_as_they_are_heard_and_puts_the_text_in_the_box(recording, server, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    in_own_thread(with_speaking_browser, recording, lambda b: dictate(b, server, tmp_path))


def dictate(browser, server, tmp_path):
    from playwright.sync_api import expect

    context = browser.new_context(permissions=["microphone"])
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        begin(page, server)
        mic = page.get_by_role("button", name="Dictate")
        assert "offline" in (mic.get_attribute("title") or "")
        mic.click()
        heard = page.locator("#dictation")
        # The partial text shows while the recording plays, before the candidate stops.
        expect(heard).to_contain_text("kafka", timeout=30_000)
        assert heard.inner_text().startswith("Hearing:")
        expect(heard).to_contain_text("transactions", timeout=30_000)
        page.screenshot(path=str(tmp_path / "hearing.png"))
        page.get_by_role("button", name="Stop dictating").click()
        box = answer_box(page)
        expect(box).to_have_value(re.compile("compensating transactions"), timeout=30_000)
        text = box.input_value()
        assert text.startswith("so basically") and "kafka" in text
        assert heard.inner_text().startswith("Heard:")
        assert page.get_by_role("button", name="Dictate").is_enabled()
        # The candidate corrects the text, then sends it like a typed answer.
        box.fill(text.replace("kafka", "Kafka"))
        box.press("Enter")
        page.locator(".feedback-card").first.wait_for()
        page.screenshot(path=str(tmp_path / "feedback.png"), full_page=True)
        assert not problems
    finally:
        context.close()


def test_the_page_no_longer_uses_the_browsers_speech_service(server):
    import urllib.request

    with urllib.request.urlopen(server + "/static/app.js", timeout=10) as r:
        script = r.read().decode()
    assert "SpeechRecognition" not in script
    assert "audio_chunk" in script
