"""Corpus files → Documents with heading sections, line numbers and no mojibake."""

import re
from pathlib import Path

import pytest

from interviewer.errors import CorpusError
from interviewer.ingest import decode, load_corpus, parse_document, read_document
from interviewer.records import Section

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MOJIBAKE = re.compile("â€|Ã|‚Ä|\uf8ff|Ô∏")


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(CORPUS)


def test_bundled_corpus_reads_cleanly(corpus):
    assert [d.doc for d in corpus.documents] == [
        "000-architect-deep-dive",
        "001-system-design-concepts",
        "002-interview-question-sets",
        "003-distributed-systems-quiz",
        "004-design-concept-notes",
    ]
    assert corpus.problems == ()


def test_no_mojibake_survives(corpus):
    for doc in corpus.documents:
        assert not MOJIBAKE.search(doc.title)
        for s in doc.sections:
            assert not MOJIBAKE.search(s.text + s.heading), (doc.doc, s.line)


def test_sections_keep_heading_path_and_file_line(corpus):
    doc = corpus.documents[0]
    question = doc.sections[1]
    assert question.heading_path == (
        "181–200: Architect Level Deep Dive",
        "181. How to handle distributed transactions without 2PC?",
    )
    assert question.level == 3 and question.line == 3
    lines = (CORPUS / "000-architect-deep-dive.txt").read_text(encoding="utf-8").splitlines()
    assert lines[question.line - 1].startswith("### 181.")
    assert doc.sections[2].heading_path[-1] == "Indepth" and doc.sections[2].line == 9


def test_front_matter_is_stripped_and_gives_the_title(corpus):
    doc = corpus.documents[1]
    assert doc.title == "System Design Concepts"
    assert "draft = false" not in doc.sections[0].text
    assert doc.sections[0].line == 8  # the first line after the +++ block, as in the file


def test_heading_in_code_block_is_not_a_section():
    text = "# Title\n\n```bash\n# not a heading\necho hi\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    doc = parse_document("d", text)
    assert [s.heading_path for s in doc.sections] == [("Title",)]
    assert "# not a heading" in doc.sections[0].text and "| 1 | 2 |" in doc.sections[0].text


def test_nested_headings_build_paths():
    doc = parse_document("d", "# A\ntext a\n## B\ntext b\n### C\ntext c\n## D\ntext d\n")
    assert doc.sections == (
        Section("d", ("A",), 1, "text a", 1),
        Section("d", ("A", "B"), 2, "text b", 3),
        Section("d", ("A", "B", "C"), 3, "text c", 5),
        Section("d", ("A", "D"), 2, "text d", 7),
    )


def test_yaml_front_matter_and_decorated_headings():
    doc = parse_document("d", "---\ntitle: Notes\n---\n## 🔹 **Caching** ⚙️\nbody\n")
    assert doc.title == "Notes"
    assert doc.sections == (Section("d", ("Caching",), 2, "body", 4),)


def test_plain_text_document_is_one_section(corpus):
    quiz = corpus.documents[3]
    assert quiz.title == "Distributed Systems"
    assert len(quiz.sections) == 1 and quiz.sections[0].heading_path == ()


def test_cp1252_file_is_read_with_a_warning(tmp_path):
    path = tmp_path / "notes.md"
    path.write_bytes("# Caf\xe9\nIt\x92s a cache.\n".encode("latin-1"))
    doc, warning = read_document(path)
    assert warning == "not valid UTF-8 (byte 5); read as cp1252"
    assert doc.sections[0].heading_path == ("Café",) and "It's a cache." in doc.sections[0].text


def test_binary_file_is_refused():
    with pytest.raises(CorpusError, match="binary"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


def test_bad_files_are_skipped_and_reported(tmp_path):
    (tmp_path / "good.md").write_text("# Sharding\nSplit data by key.\n", encoding="utf-8")
    (tmp_path / "empty.md").write_text("", encoding="utf-8")
    (tmp_path / "image.md").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing")
    (tmp_path / "ignored.pdf").write_bytes(b"%PDF")
    corpus = load_corpus(tmp_path)
    assert [d.doc for d in corpus.documents] == ["good"]
    assert corpus.problems == (
        "skipped empty.md: it holds no text",
        "skipped gone.txt: it is a broken link",
        "skipped image.md: it looks like a binary file, not text",
    )


def test_empty_or_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match=r"has no \.md, \.markdown or \.txt files"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")
