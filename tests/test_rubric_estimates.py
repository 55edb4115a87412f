"""Back-of-envelope checks: the figures a candidate says, the arithmetic recomputed, slips named, choices noted."""

from __future__ import annotations

import pytest

from interviewer.rubric import default_rules, rubric_for
from interviewer.rubric.quantities import FigureReader


@pytest.fixture(scope="module")
def reader() -> FigureReader:
    return FigureReader(default_rules())


def only_figure(reader: FigureReader, text: str):
    figures = reader.read(text)
    assert len(figures) == 1, figures
    return figures[0]


# --------------------------------------------------------------------------- reading figures


@pytest.mark.parametrize(
    "said, value",
    [
        ("a hundred million users", 1e8),
        ("five hundred million uploads", 5e8),
        ("eight hundred and sixty four million requests", 8.64e8),
        ("ten k requests", 1e4),
        ("one point five million rows", 1.5e6),
        ("half a million writes", 5e5),
        ("100M rows", 1e8),
        ("1.2bn events", 1.2e9),
        ("11.6k requests", 11_600),
        ("86,400 seconds", 86_400),
        ("3.5 trillion codes", 3.5e12),
        ("twenty five servers", 25),
        ("62^7 codes", 62**7),
    ],
)
def test_numbers_are_read_as_said_or_written(reader, said, value):
    assert only_figure(reader, said).value == pytest.approx(value)


@pytest.mark.parametrize(
    "said, units",
    [
        ("10 requests/day", "1 / day"),
        ("10 requests per user per day", "1 / day"),
        ("20 reads a day", "1 / day"),
        ("11.6k QPS", "1 / second"),
        ("300 bytes", "byte"),
        ("2 KB", "kilobyte"),
        ("4 TB/day", "(terabyte) / day"),
        ("5 Mbps", "megabit / second"),
        ("10 Gb", "gigabit"),
        ("10 GB", "gigabyte"),
        ("5 years", "year"),
        ("two hundred kilobytes per day", "(kilobyte) / day"),
        ("10 million writes daily", "1 / day"),
    ],
)
def test_units_and_rates_come_with_the_figure(reader, said, units):
    assert only_figure(reader, said).units == units


def test_dau_counts_users_per_day(reader):
    dau, rate = reader.read("100M DAU × 10 requests per user")
    assert dau.nouns == {"user"} and dau.period == "day"
    assert rate.per == {"user"}


@pytest.mark.parametrize(
    "text",
    [
        "a 4K video",  # a modifier, not four thousand videos
        "a 7-character code",
        "N=3 replicas",
        "one option is a queue",  # "one" as a pronoun
    ],
)
def test_words_that_only_look_like_figures_are_not_figures(reader, text):
    assert [f for f in reader.read(text) if f.value in (4000, 7, 3, 1)] == []


def test_every_n_seconds_is_a_rate(reader):
    fig = reader.read("each sending a location every 4 seconds")[-1]
    assert fig.value == pytest.approx(0.25) and "second" in fig.units


# --------------------------------------------------------------------------- checking claims


def claims(text: str):
    return [(e.claim, e.status) for e in rubric_for(text).estimates]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("100M DAU × 10 requests/day ≈ 11.6k QPS; ×3 peak ≈ 35k QPS", [("11.6k QPS", "right"), ("35k QPS", "right")]),
        ("1B rows × 1 KB = 1 TB", [("1 TB", "right")]),
        ("500M tweets per day at 300 bytes each is 150 GB per day, so about 55 TB a year.",
         [("150 GB per day", "right"), ("55 TB a year", "right")]),
        ("a hundred million users times five uploads a day is five hundred million uploads a day",
         [("five hundred million uploads a day", "right")]),
        ("1 billion requests per day / 86,400 ≈ 11.6k QPS", [("11.6k QPS", "right")]),
        ("100 million URLs a month × 12 months × 5 years = 6 billion URLs", [("6 billion URLs", "right")]),
        ("a 4K video at about 20 Mbps for an hour is roughly 9 GB", [("9 GB", "right")]),
        ("Each server handles about 2k QPS, so 40k QPS / 2k QPS = 20 servers.", [("20 servers", "right")]),
        ("50M DAU each making 20 requests is a billion requests a day", [("a billion requests a day", "right")]),
        # "each makes …" says what each user does: a rate to multiply, not a result
        ("100M DAU, each makes 10 requests a day, that is about 11.6k QPS.", [("11.6k QPS", "right")]),
        ("First the requirements: 100M DAU, each makes 10 requests a day, about 11.6k QPS.", [("11.6k QPS", "right")]),
        ("We have 100M users, every user sends 10 messages a day, so about 11.6k messages per second.",
         [("11.6k messages per second", "right")]),
        # about 3× off: reported as rough, not flagged
        ("100M DAU × 10 requests/day ≈ 35k QPS", [("35k QPS", "rough")]),
        ("1B rows × 1 KB = 3 TB", [("3 TB", "rough")]),
        # 10× or more: flagged
        ("100M DAU × 10 requests/day ≈ 1.2M QPS", [("1.2M QPS", "wrong")]),
        ("a hundred million users times five uploads a day is five billion uploads a day",
         [("five billion uploads a day", "wrong")]),
        ("500M tweets a day × 300 bytes = 150 TB a day", [("150 TB a day", "wrong")]),
    ],
)
def test_the_answers_arithmetic_is_recomputed(text, expected):
    got = claims(text)
    for claim, status in expected:
        assert any(claim in c and s == status for c, s in got), got


def test_a_wrong_figure_comes_with_the_formula_and_the_right_figure():
    e = rubric_for("100M DAU × 10 requests/day ≈ 1.2M QPS").estimates[0]
    assert not e.ok and e.status == "wrong"
    assert e.formula == "100M × 10/day = 11.6k/s"
    assert e.computed == pytest.approx(11_574, rel=0.01) and e.unit == "/s"
    assert e.ratio == pytest.approx(103.7, rel=0.01)


def test_a_rough_figure_is_reported_but_stays_ok():
    e = rubric_for("10 million writes a day is about 350 writes per second").estimates[0]
    assert e.status == "rough" and e.ok and e.ratio == pytest.approx(3.0, rel=0.02)


@pytest.mark.parametrize(
    "text, slip",
    [
        ("Each server has a 1 Gbps NIC, which is 1 GB/s", "bits vs bytes"),
        ("we need 10 Gbps of bandwidth, so 10 GB per second through the load balancer", "bits vs bytes"),
        ("Videos at 8 Mbps; 1000 concurrent viewers need 8 GB/s", "bits vs bytes"),
        ("a 100 Mbps uplink uploads a 1 GB file in about 10 seconds", "bits vs bytes"),
        ("1 billion requests a day is roughly 1 million requests per second", "a day taken as 1,000 seconds"),
        ("1 billion requests a day is 1 billion requests per second", "per day vs per second"),
        ("1B requests per day, divided by 3,600, is about 280k QPS", "per day vs per hour"),
        ("1B rows × 1 KB = 1 PB", "unit prefix"),
    ],
)
def test_unit_slips_are_named_and_flagged_even_below_10x(text, slip):
    e = rubric_for(text).estimates[-1]
    assert e.status == "wrong" and slip in e.slip


def test_bits_and_bytes_converted_right_are_not_a_slip():
    (e,) = rubric_for("The stream is 5 MB per second, so a 40 Mbps link is enough.").estimates
    assert e.status == "right" and e.slip == ""


@pytest.mark.parametrize(
    "text",
    [
        "We need to support 100M DAU and keep p99 latency under 200 ms.",
        "Each short code is 7 characters, base62, and we keep data for 5 years with 3 replicas.",
        "Timeouts are 500 ms, retries back off from 100 ms to 2 seconds, and we keep 3 attempts.",
        "With N=3, W=2 and R=2, every read overlaps the latest write.",
        "A 301 or 302 redirect.",
    ],
)
def test_figures_without_arithmetic_are_not_checked(text):
    assert rubric_for(text).estimates == ()


# --------------------------------------------------------------------------- choices the numbers contradict


@pytest.mark.parametrize(
    "text, rule",
    [
        ("We'll put all writes on a single Postgres instance; at peak that's 1M writes per second.",
         "single_relational_primary"),
        ("Everything goes into one Redis box: 2M operations per second.", "single_redis"),
        ("We keep all 5 PB on a single server.", "single_machine_storage"),
    ],
)
def test_a_choice_the_numbers_contradict_is_noted(text, rule):
    notes = rubric_for(text).capacity
    assert [n.rule for n in notes] == [rule]
    assert notes[0].note and notes[0].figure in text


@pytest.mark.parametrize(
    "text",
    [
        "One Redis node can handle our 50k QPS of reads.",
        "A single MySQL primary handles our 2k writes/s easily.",
        "We expect 500k writes per second, so one database won't cut it and we'll shard by user id.",
    ],
)
def test_a_choice_within_its_limit_or_rejected_is_not_noted(text):
    assert rubric_for(text).capacity == ()
