"""Acronyms mined from the corpus and term document frequencies."""

import pytest

from interviewer.errors import IndexCorrupt, IndexMissing
from interviewer.lexicon import Lexicon, build_lexicon, find_acronyms


@pytest.mark.parametrize(
    ("text", "pairs"),
    [
        ("Two-Phase Commit (2PC) is slow", [("2PC", "Two Phase Commit")]),
        ("uses Change Data Capture (CDC) to", [("CDC", "Change Data Capture")]),
        ("RDB (Redis Database Backup): snapshots", [("RDB", "Redis Database Backup")]),
        ("a Backend for Frontend (BFF) layer", [("BFF", "Backend for Frontend")]),
        ("Single Points of Failure (SPOFs)", [("SPOF", "Single Points of Failure")]),
        ("Command Query Responsibility Segregation (CQRS)", [("CQRS", "Command Query Responsibility Segregation")]),
        # Parentheses that are not acronym definitions are left alone.
        ("the leader (usually) wins", []),
        ("set a timeout (e.g., 5 s)", []),
        ("Extensible Markup (XYZ)", []),
    ],
)
def test_find_acronyms(text, pairs):
    assert find_acronyms(text) == pairs


def test_lexicon_counts_passages_and_keeps_every_expansion():
    lex = build_lexicon([
        "Change Data Capture (CDC) tails the WAL.",
        "Content-Defined Chunking (CDC) finds chunk boundaries.",
        "A cache in front of the database.",
    ])
    assert lex.documents == 3
    assert lex.expansions("CDC") == ("change data capture", "content defined chunking")
    assert lex.short_forms()["change data capture"] == ("cdc",)
    assert lex.df["cach"] == 1
    # A rare term weighs more than a common one, and no term weighs zero.
    assert lex.idf("cach") > lex.idf("cdc") > 0
    assert lex.idf("never-seen") > lex.idf("cach")


def test_lexicon_round_trips_and_reports_damage(tmp_path):
    lex = build_lexicon(["Time To Live (TTL) expires keys."])
    path = tmp_path / "lexicon.json"
    lex.save(path)
    assert Lexicon.load(path) == lex
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="run `interviewer build-index`"):
        Lexicon.load(path)
    with pytest.raises(IndexMissing):
        Lexicon.load(tmp_path / "absent.json")
