"""Session reports: data, Markdown, HTML and SVG charts from a real interview saved in a real store."""

from __future__ import annotations

import copy
import re

import xml.etree.ElementTree as ET

import pytest

from interviewer.dialogue import Config
from interviewer.report import (band, grades_svg, highlight, history_row, session_report, to_html, to_markdown,
                                topics_svg, trend_svg)
from interviewer.services import open_services
from interviewer.store import Store

from answers import OUTBOX_ANSWER, PERSISTENCE, PUB_SUB_ANSWER

SVG = "{http://www.w3.org/2000/svg}"
ANSWER = ("Um, we'd put Redis in front of the database as a cache-aside layer with a TTL on every key, "
          "like, invalidate on writes, and a CDN edge cache for static files. <b>bold</b> & <script>x</script>")


@pytest.fixture(scope="module")
def services(built_settings):
    s = open_services(built_settings)
    yield s
    s.close()


@pytest.fixture
def store(tmp_path):
    with Store.open(f"sqlite:///{tmp_path / 'report.db'}") as s:
        yield s


def interview(services, store, messages, **config):
    """Run an interview through the engine, saving every turn; return the session id."""
    engine = services.interviewer(clock=lambda: 1000.0)
    state, replies = engine.start(Config(seed=3, **config))
    record = store.create_session(config, state.to_dict(), [r.to_dict() for r in replies])
    for text in messages:
        state, replies = engine.handle(state, text)
        store.record_turn(record.id, text, [r.to_dict() for r in replies], state.to_dict())
    return record.id


def report_of(store, services, session_id):
    return session_report(store.session(session_id), store.transcript(session_id), store.scorecards(session_id),
                          services.bank)


@pytest.fixture
def answered(services, store):
    """Three questions on caching: one answered (with HTML and fillers), one skipped, one left open."""
    sid = interview(services, store, [ANSWER, "next", "/skip"], topic="caching", count=3)
    return report_of(store, services, sid)


def test_the_report_lists_every_question_with_its_outcome(answered):
    s = answered["session"]
    assert (s["topic"], s["count"], s["asked"], s["answered"], s["skipped"]) == ("caching", 3, 3, 1, 1)
    assert [q["status"] for q in answered["questions"]] == ["answered", "skipped", "open"]
    assert [q["number"] for q in answered["questions"]] == [1, 2, 3]
    first = answered["questions"][0]
    assert first["prompt"] and first["source"]["doc"] and first["source"]["line"] > 0
    [attempt] = first["attempts"]
    assert attempt["answer"] == ANSWER
    assert attempt["grade"] == first["grade"] and s["average_grade"] == first["grade"]
    assert attempt["delivery"]["fillers"] >= 1 and "um" in attempt["delivery"]["filler_words"]
    assert attempt["graded_at"], "the scorecard row's time"
    assert {m["concept"] for m in attempt["missed"]} | {m["concept"] for m in attempt["matched"]}


def test_topics_count_a_skipped_question_as_nothing_covered(answered):
    [topic] = [t for t in answered["topics"] if t["topic"] == "caching"]
    first, second = answered["questions"][:2]
    assert topic["questions"] == 2 and topic["answered"] == 1
    assert topic["coverage"] == pytest.approx((first["score"] + second["score"]) / 2, abs=0.001)


def test_the_transcript_is_in_the_report_without_the_token(answered, store):
    texts = [t["text"] for t in answered["transcript"] if t["role"] == "user"]
    assert texts == [ANSWER, "next", "/skip"]
    assert "token" not in answered["session"]


def test_markdown_escapes_what_the_user_typed(answered):
    md = to_markdown(answered)
    assert md.startswith("# Interview scorecard — caching\n")
    assert "\\<script\\>x\\</script\\>" in md and "<script>" not in md
    assert "| 1 |" in md and "skipped" in md.lower() and "Not answered" in md
    assert "## Delivery" in md and "<details><summary>Model answer</summary>" in md
    assert re.search(r"- Delivery: 38 words · 2 fillers \(like, um\) · ", md), md


def test_one_filler_is_one_filler(answered):
    one = copy.deepcopy(answered)
    for d in (one["delivery"], one["questions"][0]["attempts"][0]["delivery"]):
        d.update(words=1, fillers=1, filler_words=["um"], filler_rate=1.0)
    md = to_markdown(one)
    assert "- Delivery: 1 word · 1 filler (um) · " in md and "\n1 word · 1 filler (100%): um · " in md


def test_html_export_is_self_contained_and_escaped(answered):
    html = to_html(answered)
    assert html.startswith("<!doctype html>")
    assert "<style>" in html and "<link" not in html and "<script" not in html.replace("&lt;script", "")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;x&lt;/script&gt;" in html
    assert '<mark class="filler">Um</mark>' in html
    assert html.count("<svg") == 2


@pytest.mark.parametrize("text, fillers, parts", [
    ("um so like it scales", ["um", "like"], [("um", True), (" so ", False), ("like", True), (" it scales", False)]),
    ("Umbrella likes you know", ["um", "like", "you know"], [("Umbrella likes ", False), ("you know", True)]),
    ("no fillers here", [], [("no fillers here", False)]),
    ("", ["um"], []),
    ("basically, basically.", ["basically"], [("basically", True), (", ", False), ("basically", True), (".", False)]),
])
def test_highlight_marks_whole_filler_words_only(text, fillers, parts):
    assert highlight(text, fillers) == parts


@pytest.mark.parametrize("grade, name", [(None, "none"), (0.0, "weak"), (2.4, "weak"), (2.5, "fair"),
                                         (3.9, "fair"), (4.0, "strong"), (5.0, "strong")])
def test_grade_bands(grade, name):
    assert band(grade) == name


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    return root


def test_charts_draw_a_bar_per_answered_question_and_escape_text(answered):
    root = parse(grades_svg(answered["questions"]))
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Q1", "Q2", "Q3", "skipped", "open"} <= set(texts)
    nasty = [{"topic": "<script>&\"'", "questions": 1, "answered": 1, "coverage": 0.5, "average_grade": 2.5}]
    root = parse(topics_svg(nasty))
    assert "<script>&\"'" in [t.text for t in root.iter(f"{SVG}text")]
    assert "<script>" not in topics_svg(nasty)


def test_empty_charts_say_so():
    for svg, says in ((grades_svg([]), "No questions yet."), (topics_svg([]), "No graded questions yet."),
                      (trend_svg([]), "No graded sessions yet")):
        assert says in "".join(parse(svg).itertext())


def test_the_trend_joins_graded_sessions_oldest_first(services, store):
    first = interview(services, store, [ANSWER], topic="caching", count=1)
    interview(services, store, [], topic="messaging", count=1)  # nothing graded: no point
    second = interview(services, store, [ANSWER, "next"], topic="caching", count=2)
    rows = [history_row(r) for r in reversed(store.sessions([store.session(i).token for i in (first, second)]))]
    assert [r["id"] for r in rows] == [first, second]
    root = parse(trend_svg(rows))
    assert len(root.findall(f"{SVG}circle")) == 2
    assert root.find(f"{SVG}polyline") is not None


def test_a_concept_covered_on_the_follow_up_is_not_among_the_weakest(services, store):
    engine = services.interviewer(clock=lambda: 1000.0)
    state, replies = engine.start(Config(seed=3, topic="messaging", count=1))
    state = state.evolve(current="001-probe-59", asked=("001-probe-59",), number=1, phase="asking")
    record = store.create_session({"topic": "messaging", "count": 1}, state.to_dict(), [r.to_dict() for r in replies])
    for text in (PUB_SUB_ANSWER, PERSISTENCE):
        state, replies = engine.handle(state, text)
        store.record_turn(record.id, text, [r.to_dict() for r in replies], state.to_dict())
    report = report_of(store, services, record.id)
    [q] = report["questions"]
    assert q["follow_up"]["concept"] == "persistence levels" and q["follow_up"]["covered"] is True
    assert "persistence levels" not in [w["concept"] for w in report["weakest_concepts"]]
    assert report["delivery"]["words"] == len(PUB_SUB_ANSWER.split()) + len(PERSISTENCE.split())


def test_the_scorecard_page_and_the_chat_summary_name_the_same_weakest_concepts(services, store):
    sid = interview(services, store, [ANSWER, "next", "/skip", "um I think you'd just cache it somewhere", "/end"],
                    topic="caching", count=4)
    report = report_of(store, services, sid)
    [summary] = [t for t in store.transcript(sid) if t.kind == "summary"]
    assert [w["concept"] for w in report["weakest_concepts"]] == summary.payload["weakest_concepts"]


def test_a_design_answer_keeps_its_rubric_in_the_report_and_its_export(services, store):
    sid = interview(services, store, ["/design a URL shortener",
                                      "First the requirements: shorten a URL and redirect. 100M DAU, each makes 10 "
                                      "requests a day, that is about 11.6k QPS. The API is POST /shorten.", "done"],
                    count=1, round="design")
    report = report_of(store, services, sid)
    [q] = report["questions"]
    assert q["prompt"] == "Design a URL shortener" and q["attempts"][-1]["rubric"]["verdict"]
    md = to_markdown(report)
    assert "**Design rubric:" in md and "graded by the design rubric" in md


def test_history_says_when_an_interview_ended_early_and_names_a_mixed_topic(services, store):
    early = interview(services, store, [OUTBOX_ANSWER, "next", "/end"], topic="surprise", count=3)
    row = history_row(store.session(early))
    assert row["status"] == "ended early" and row["topic"] == "mixed topics"
    done = interview(services, store, [OUTBOX_ANSWER, "next"], topic="caching", count=1)
    assert history_row(store.session(done))["status"] == "finished"
