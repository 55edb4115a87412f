"""The design rubric as a candidate meets it: the contract, level signals, the practice verdict, the text and the CLI."""

from __future__ import annotations

import json

import pytest

from interviewer.errors import InputError
from interviewer.rubric import RUBRIC_KINDS, default_rules, format_rubric, parse_rules, rubric_for, rubric_markdown
from interviewer.rubric.rules import _DATA

URL = "Design a URL shortener"

STRONG = (
    "First, let me clarify the requirements: users shorten a long URL and the short link redirects; analytics is out "
    "of scope. Redirects must be fast, under 50 ms at p99, and highly available. "
    "For scale, assume 100M new URLs a month, which is about 40 writes per second, and reads are 100 times more, "
    "so 4,000 reads per second, which fits in a small Redis cluster. "
    "The API would be POST /urls returning the short code, and GET /{code}, which answers with a 302. "
    "For the data model, one table keyed by the short code, holding the long URL and the expiry. "
    "At a high level, clients go through a load balancer to stateless app servers that read through a Redis cache. "
    "To avoid a single counter becoming the bottleneck, each server leases a range of IDs from ZooKeeper. "
    "Hashing the long URL instead would avoid coordination, but then we have to handle collisions, so I prefer the "
    "counter because it never collides. "
    "If a cache node fails, requests fall through to the database and we alert on the miss rate. "
    "To keep cost down we start with one region and add a second one later."
)
WEAK = "I would use a server and a database. The server stores the URLs. It is fast."


# --------------------------------------------------------------------------- the contract


def test_to_dict_has_the_contract_shape():
    data = rubric_for(STRONG, URL).to_dict()
    assert {"phases", "estimates", "signals", "verdict"} <= set(data)
    assert all({"name", "covered", "share", "order", "evidence"} <= set(p) for p in data["phases"])
    assert all({"text", "stated", "computed", "unit", "ratio", "ok", "formula"} <= set(e) for e in data["estimates"])
    assert all({"name", "level", "evidence"} <= set(s) for s in data["signals"])
    assert data["verdict"] in ("strong", "solid", "borderline", "not yet")
    json.dumps(data)  # plain JSON all the way down


def test_a_stored_rubric_renders_the_same_as_a_fresh_one():
    r = rubric_for(STRONG + " 100M DAU × 10 requests/day ≈ 1.2M QPS.", URL)
    again = type(r).from_dict(json.loads(json.dumps(r.to_dict())))
    assert rubric_markdown(again) == rubric_markdown(r) and format_rubric(again) == format_rubric(r)


def test_the_verdict_is_labelled_a_practice_heuristic_never_a_hiring_decision():
    r = rubric_for(STRONG, URL)
    assert "practice heuristic" in r.verdict_note and "not a hiring decision" in r.verdict_note
    assert r.verdict_note in format_rubric(r) and r.verdict_note in rubric_markdown(r)


def test_an_empty_answer_is_not_yet_with_every_phase_nudged():
    r = rubric_for("", URL)
    assert r.verdict == "not yet" and r.estimates == () and not any(p.covered for p in r.phases)
    assert len(r.nudges) == 7


@pytest.mark.parametrize("answer, prompt, kind", [(3, "", "design"), ("fine", None, "design"), ("fine", "", "choice")])
def test_bad_arguments_say_what_is_wrong(answer, prompt, kind):
    with pytest.raises(InputError):
        rubric_for(answer, prompt, kind)


def test_rules_that_name_an_unknown_phase_are_refused_with_the_name():
    text = (_DATA / "rubric.toml").read_text(encoding="utf-8").replace(
        'expected = ["high_level", "deep_dive", "tradeoffs"]', 'expected = ["high_level", "deep_dives"]')
    with pytest.raises(ValueError, match="deep_dives"):
        parse_rules(text)


# --------------------------------------------------------------------------- level signals


def levels(answer: str, prompt: str = URL) -> dict[str, str]:
    return {s.name: s.level for s in rubric_for(answer, prompt).signals}


@pytest.mark.parametrize(
    "answer, signal, level",
    [
        (WEAK, "requirements", "junior"),
        ("Users can shorten links and open them.", "requirements", "mid"),
        ("Users can shorten links. Redirects must take under 50 ms at p99.", "requirements", "senior"),
        ("Users can shorten links. Redirects must take under 50 ms at p99. Analytics is out of scope.",
         "requirements", "staff"),
        (WEAK, "numbers", "junior"),
        ("We expect 100M new URLs a month.", "numbers", "mid"),
        ("100M new URLs a month is about 40 writes per second.", "numbers", "senior"),
        ("100M new URLs a month is about 400 k writes per second.", "numbers", "mid"),  # wrong arithmetic
        (WEAK, "tradeoffs", "junior"),
        ("We could use a counter instead of hashing.", "tradeoffs", "mid"),
        (WEAK, "failures", "junior"),
        ("If the cache fails we lose the hot links.", "failures", "mid"),
        ("If the cache fails, requests fall back to the database.", "failures", "senior"),
        ("If the cache fails, requests fall back to the database, and we alert on the miss rate.", "failures", "staff"),
        (WEAK, "evolution", "junior"),
        ("To keep cost down we start with one region and add a second one later.", "evolution", "senior"),
    ],
)
def test_signals_climb_with_the_evidence_an_interviewer_looks_for(answer, signal, level):
    assert levels(answer)[signal] == level


def test_signals_quote_the_answers_own_sentences():
    for s in rubric_for(STRONG, URL).signals:
        assert s.level != "junior" and s.evidence and s.evidence in STRONG


def test_a_junior_signal_says_what_the_next_level_looks_like():
    (tradeoffs,) = [s for s in rubric_for(WEAK, URL).signals if s.name == "tradeoffs"]
    assert tradeoffs.level == "junior" and tradeoffs.evidence == "" and "alternative" in tradeoffs.next


# --------------------------------------------------------------------------- the verdict


@pytest.mark.parametrize(
    "better, worse",
    [
        (STRONG, WEAK),
        # The same terms, out of order, with no reasoning: a structured answer outranks it.
        (STRONG, "There is a load balancer, app servers, a Redis cache and ZooKeeper ranges. POST /urls and GET /{code}. "
                 "One table keyed by the short code. 100M new URLs a month, 40 writes per second. Collisions and hashing. "
                 "A cache node can fail. It must be fast and available, analytics out of scope."),
        (WEAK, ""),
    ],
)
def test_a_better_driven_answer_scores_higher(better, worse):
    assert rubric_for(better, URL).score > rubric_for(worse, URL).score


def test_a_strong_answer_is_strong_and_a_weak_one_not_yet():
    assert rubric_for(STRONG, URL).verdict == "strong"
    assert rubric_for(WEAK, URL).verdict == "not yet"


def test_an_arithmetic_error_costs_the_verdict():
    wrong = STRONG.replace("about 40 writes per second", "about 40k writes per second")
    assert rubric_for(wrong, URL).score < rubric_for(STRONG, URL).score


# --------------------------------------------------------------------------- text and markdown


def test_the_terminal_block_shows_verdict_phases_estimates_signals_and_nudges():
    text = format_rubric(rubric_for("100M DAU × 10 requests/day ≈ 1.2M QPS. The API would be POST /items.", URL))
    lines = text.splitlines()
    assert lines[0].startswith("design rubric: ")
    assert "phases: Estimates" in text and "→ API" in text
    assert "estimate: ✗ 1.2M QPS — 100× too high; your figures give 100M × 10/day = 11.6k/s" in lines
    assert any(line.startswith("Failure modes & mitigation: junior — ") for line in lines)
    assert any(line.startswith("next: Start by pinning down scope") for line in lines)


def test_markdown_escapes_the_answers_text():
    md = rubric_markdown(rubric_for("First, let me clarify the requirements | *all* of them [now].", URL))
    assert "requirements \\| \\*all\\* of them \\[now\\]" in md
    assert md.count("| Requirements & scope |") == 1


# --------------------------------------------------------------------------- the command line


def test_grade_kind_design_needs_no_reference_and_prints_the_rubric(cli):
    result = cli("grade", "--kind", "design", "--question", URL, "--answer", STRONG)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("design rubric: strong")
    assert "Requirements clarified: staff" in result.stdout


def test_grade_json_carries_the_rubric_beside_the_scorecard(cli):
    result = cli("grade", "--json", "--kind", "design", "--question", URL, "--answer", STRONG,
                 "--reference", "A URL shortener maps a short code to a long URL with a key-value store and a cache.")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert 0 < data["score"] <= 1 and data["rubric"]["verdict"] == "strong"
    assert [p["order"] for p in data["rubric"]["phases"]] == [1, 2, 3, 4, 5, 6, 7]


def test_the_rubric_does_not_change_the_grade(cli):
    ref = "A URL shortener maps a short code to a long URL with a key-value store and a cache."
    plain = json.loads(cli("grade", "--json", "--reference", ref, "--answer", STRONG).stdout)
    with_rubric = json.loads(cli("grade", "--json", "--kind", "design", "--reference", ref, "--answer", STRONG).stdout)
    assert "rubric" not in plain
    assert {k: v for k, v in with_rubric.items() if k != "rubric"} == plain


def test_open_and_scenario_bank_questions_get_the_rubric_and_choice_questions_do_not(cli, bank):
    open_q = next(q for q in bank.questions if q.kind == "open")
    scenario_q = next(q for q in bank.questions if q.kind == "scenario")
    choice_q = next(q for q in bank.questions if q.kind == "choice")
    answer = "If the relay crashes it retries, at the cost of duplicates, so consumers are idempotent."
    got = json.loads(cli("grade", "--json", "--id", open_q.id, "--answer", answer).stdout)
    assert got["rubric"]["kind"] == "open"
    assert {p["name"] for p in got["rubric"]["phases"] if p["expected"]} == {"high_level", "deep_dive", "tradeoffs"}
    # The text says it for a scenario; for an open question ("What is X?") it is in the JSON only.
    assert "\n\ndesign rubric: " in cli("grade", "--id", scenario_q.id, "--answer", answer).stdout
    assert "design rubric: " not in cli("grade", "--id", open_q.id, "--answer", answer).stdout
    assert "rubric" not in json.loads(cli("grade", "--json", "--id", choice_q.id, "--answer", "A").stdout)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--kind", "design"], "Error: give --answer TEXT"),
        (["--kind", "design", "--batch", "-"], "Error: --kind works with one --answer, not with --batch"),
        (["--kind", "probe", "--answer", "x"], "Error: Invalid value for '--kind'"),
    ],
)
def test_grade_kind_errors_are_one_line(cli, args, message):
    result = cli("grade", *args, input="")
    assert result.exit_code == 1
    assert any(line.startswith(message) for line in result.stderr.splitlines())


def test_the_shipped_rules_load_and_name_every_phase():
    rules = default_rules()
    assert set(rules.kinds) == set(RUBRIC_KINDS)  # the CLI offers exactly the kinds the rules describe
    assert [p.name for p in rules.phases] == ["requirements", "estimates", "api", "data_model", "high_level",
                                              "deep_dive", "tradeoffs"]
    assert all(p.nudge for p in rules.phases)
