"""The command line: exit codes, exact `Error:` lines, JSON shapes, batch mode, help text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from interviewer.cli import main
from interviewer.records import KINDS, Question

HIT_KEYS = {"rank", "score", "doc", "heading", "line", "text", "snippet"}


def test_every_command_has_help_text(cli_runner):
    result = cli_runner.invoke(main, ["--help"])
    assert result.exit_code == 0 and "Offline mock interview coach" in result.stdout
    assert main.commands, "no commands registered"
    for name, command in main.commands.items():
        assert command.help and command.get_short_help_str(), name
        result = cli_runner.invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
        assert "--data-dir" in result.stdout and "--corpus" in result.stdout, name
        for param in command.params:
            assert getattr(param, "help", None) or param.param_type_name == "argument", (name, param.name)


def test_python_dash_m_works():
    done = subprocess.run([sys.executable, "-m", "interviewer", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "build-index" in done.stdout


# --------------------------------------------------------------------------- build-index


def test_build_index_prints_one_summary_line_and_warnings_on_stderr(cli, tmp_path, small_corpus):
    (small_corpus / "photo.md").write_bytes(bytes(range(256)) * 4)
    result = cli("build-index", data_dir=tmp_path / "data", corpus=small_corpus)
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"indexed 1 documents, \d+ chunks, \d+ questions in \d+\.\d\d s\n", result.stdout)
    assert result.stderr == "Warning: skipped photo.md: it looks like a binary file, not text\n"


def test_build_index_skips_pipes_and_sockets_named_like_documents_with_a_warning(tmp_path, small_corpus):
    import os
    import socket

    os.mkfifo(small_corpus / "notes.md")  # opening it would wait forever for a writer
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(small_corpus / "live.txt"))
        done = subprocess.run([sys.executable, "-m", "interviewer", "--data-dir", str(tmp_path / "data"),
                               "--corpus", str(small_corpus), "build-index"],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("indexed 1 documents")
    assert done.stderr.splitlines() == ["Warning: skipped live.txt: it is a socket, not a file",
                                        "Warning: skipped notes.md: it is a named pipe (FIFO), not a file"]


def test_build_index_skips_a_file_over_the_size_cap_with_a_warning(cli_runner, tmp_path, small_corpus,
                                                                     built_settings):
    (small_corpus / "huge.md").write_text("# Huge\n\n" + "A leader sends heartbeats. " * 4000)  # ~105 KB
    args = ["--data-dir", str(tmp_path / "data"), "--corpus", str(small_corpus), "build-index"]
    result = cli_runner.invoke(main, args, env={"INTERVIEWER_MAX_FILE_MB": "0.05"})
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("indexed 1 documents")
    assert result.stderr == ("Warning: skipped huge.md: it is 105 KB, over the 51 KB a corpus file may hold "
                             "(INTERVIEWER_MAX_FILE_MB sets the limit)\n")
    bad = cli_runner.invoke(main, args, env={"INTERVIEWER_MAX_FILE_MB": "lots"})
    assert bad.exit_code == 1 and "INTERVIEWER_MAX_FILE_MB='lots' is not a size in megabytes" in bad.stderr
    # The default cap (8 MB) takes it.
    result = cli_runner.invoke(main, args, env={"INTERVIEWER_MAX_FILE_MB": None})
    assert result.exit_code == 0 and result.stdout.startswith("indexed 2 documents") and result.stderr == ""


def test_build_index_if_missing_only_builds_when_needed(cli, tmp_path, small_corpus):
    first = cli("build-index", "--if-missing", data_dir=tmp_path / "data", corpus=small_corpus)
    assert first.exit_code == 0 and first.stdout.startswith("indexed 1 documents")
    assert "building it now" in first.stderr
    again = cli("build-index", "--if-missing", data_dir=tmp_path / "data", corpus=small_corpus)
    assert again.exit_code == 0 and again.stderr == ""
    assert re.fullmatch(r"index up to date: 1 documents, \d+ chunks, \d+ questions\n", again.stdout)


def test_empty_corpus_is_an_error(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    result = cli("build-index", data_dir=tmp_path / "data", corpus=tmp_path / "empty")
    assert result.exit_code == 1
    assert result.stderr == f"Error: corpus directory {tmp_path / 'empty'} has no .md, .markdown or .txt files\n"


def test_unwritable_data_dir_is_an_error(cli, tmp_path, small_corpus):
    """A data dir under a regular file stands in for an unwritable one (tests run as root)."""
    (tmp_path / "file").write_text("x")
    result = cli("search", "saga", data_dir=tmp_path / "file" / "data", corpus=small_corpus)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == (f"Error: cannot write the index to the data dir {tmp_path / 'file' / 'data'} "
                             "(Not a directory); choose a writable one with --data-dir or INTERVIEWER_DATA\n")


# --------------------------------------------------------------------------- search


def test_search_json_shape(cli):
    result = cli("search", "whats", "a", "fencing", "token", "--top", "3", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    assert set(data) == {"query", "suggestion", "hits"}
    assert data["query"] == "whats a fencing token" and data["suggestion"] is None
    assert [h["rank"] for h in data["hits"]] == [1, 2, 3]
    for hit in data["hits"]:
        assert set(hit) == HIT_KEYS
        assert isinstance(hit["score"], float) and isinstance(hit["line"], int)
    assert "Fencing Token" in data["hits"][0]["heading"] and " > " in data["hits"][0]["heading"]
    assert "**fencing**" in data["hits"][0]["snippet"].lower()


def test_search_plain_output_with_suggestion(cli):
    result = cli("search", "consistant", "hashing", "--top", "2")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "did you mean: consistent hashing"
    assert re.match(r"1\. 000-architect-deep-dive:\d+  181–200: Architect Level Deep Dive > 19\d\. .*\(score \d+\.\d\d\)$",
                    lines[1])
    assert lines[2].startswith("   ") and "**" in lines[2]
    assert lines[3].startswith("2. ")


def test_options_after_the_command_and_from_the_environment(cli_runner, built_settings):
    by_flag = cli_runner.invoke(main, ["search", "--data-dir", str(built_settings.data_dir), "--json", "PACELC"])
    by_env = cli_runner.invoke(main, ["search", "--json", "PACELC"],
                               env={"INTERVIEWER_DATA": str(built_settings.data_dir)})
    assert by_flag.exit_code == by_env.exit_code == 0
    assert json.loads(by_flag.stdout) == json.loads(by_env.stdout)


@pytest.mark.parametrize(("args", "error"), [
    (["what", "is", "the"], "Error: the query 'what is the' has no searchable words (only stop words or "
                            "punctuation); name a concept, e.g. 'consistent hashing'\n"),
    (["?!", "..."], "Error: the query '?! ...' has no searchable words (only stop words or punctuation); "
                    "name a concept, e.g. 'consistent hashing'\n"),
    ([], "Error: give a QUERY to search for (or --batch FILE.jsonl)\n"),
    (["saga", "--batch", "-"], "Error: give either a QUERY or --batch FILE, not both\n"),
    (["--batch", "no-such-file.jsonl"], "Error: cannot read no-such-file.jsonl (No such file or directory)\n"),
])
def test_search_user_errors(cli, args, error):
    result = cli("search", *args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == error


def test_bad_option_value_is_an_error_with_status_1(cli):
    result = cli("search", "saga", "--top", "0")
    assert result.exit_code == 1 and "Error: Invalid value for '--top'" in result.stderr


def test_search_batch_keeps_order_and_survives_bad_lines(cli):
    lines = [
        json.dumps({"id": 1, "query": "um so like what is a saga"}),
        "{not json",
        json.dumps({"id": "b", "query": "the of and"}),
        "",
        json.dumps({"id": "c"}),
        json.dumps(["a", "list"]),
        json.dumps({"id": "d", "query": "consistant hashing"}),
    ]
    result = cli("search", "--batch", "-", "--top", "2", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == [1, None, "b", "c", None, "d"]
    assert "Saga" in out[0]["hits"][0]["heading"] and len(out[0]["hits"]) == 2
    assert set(out[0]) == {"id", "suggestion", "hits"} and set(out[0]["hits"][0]) == HIT_KEYS
    assert out[1] == {"id": None, "error": "not a JSON object (Expecting property name enclosed in double quotes "
                                           "at column 2)", "suggestion": None, "hits": []}
    assert out[2]["error"].startswith("the query 'the of and' has no searchable words") and out[2]["hits"] == []
    assert out[3] == {"id": "c", "error": '"query" must be a string', "suggestion": None, "hits": []}
    assert out[4]["error"] == "not a JSON object"
    assert out[5]["suggestion"] == "consistent hashing" and out[5]["hits"]


HOSTILE_LINES = [
    ('{"id": "n", "query": ' + "9" * 5000 + "}", "a number in it has more digits than can be read"),
    ("[" * 100_000 + "]" * 100_000, "it is nested too deeply to read"),
]


@pytest.mark.parametrize("command", ["search", "grade"])
def test_a_batch_line_no_reader_should_take_is_its_own_error_and_the_batch_goes_on(cli, command):
    def good(i: int) -> str:
        if command == "search":
            return json.dumps({"id": i, "query": "saga"})
        return json.dumps({"id": i, "reference": "A relay polls the outbox table and publishes to Kafka.",
                           "answer": "a relay reads the outbox and publishes"})

    lines = [good(0)]
    for hostile, _ in HOSTILE_LINES:
        lines += [hostile, good(len(lines))]
    # A UTF-8 byte-order mark on a line (files joined with cat) is read past, not an error.
    lines += ["\ufeff" + good(len(lines))]
    result = cli(command, "--batch", "-", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert [o["id"] for o in out] == [0, None, 1, None, 3, 5]
    for o in (out[1], out[3]):
        assert o["id"] is None and "error" in o
    for o, (_, says) in zip((out[1], out[3]), HOSTILE_LINES):
        assert says in o["error"]
    assert all("error" not in o for o in (out[0], out[2], out[4], out[5]))


def test_search_batch_from_a_file(cli, tmp_path):
    path = tmp_path / "queries.jsonl"
    path.write_text('{"id": "x", "query": "CDC"}\n{"id": "y", "query": "split brain"}\n')
    result = cli("search", "--batch", str(path))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0 and [o["id"] for o in out] == ["x", "y"] and all(len(o["hits"]) == 5 for o in out)


def test_search_builds_the_index_first_when_missing(cli, tmp_path, small_corpus):
    result = cli("search", "snowflake", "--json", data_dir=tmp_path / "data", corpus=small_corpus)
    assert result.exit_code == 0
    assert result.stderr == f"there is no index in {tmp_path / 'data'} yet; building it now\n"
    assert json.loads(result.stdout)["hits"][0]["doc"] == "000-architect-deep-dive"


def test_search_rebuilds_a_damaged_index(cli, tmp_path, built_settings):
    data = tmp_path / "data"
    shutil.copytree(built_settings.data_dir, data)
    for seg in (data / "index").glob("*.seg"):
        seg.write_bytes(b"\0" * 1000)
    result = cli("search", "saga", "--json", data_dir=data)
    assert result.exit_code == 0
    assert re.fullmatch(r"the index in .* is damaged \(index/\S+\.seg changed on disk\); rebuilding\n", result.stderr)
    assert json.loads(result.stdout)["hits"]


# --------------------------------------------------------------------------- questions


def test_questions_json_lists_every_kind(cli):
    result = cli("questions", "--json")
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert {r["kind"] for r in records} == set(KINDS)
    for record in records:
        assert json.loads(json.dumps(Question.from_dict(record).to_dict())) == record
        if record["kind"] == "choice":
            assert record["answer_option"] in "ABCDEFGH"[: len(record["options"])]


def test_questions_topic_kind_and_difficulty(cli):
    result = cli("questions", "--topic", "caching", "--kind", "concept", "--json")
    records = json.loads(result.stdout)
    assert records and all(r["kind"] == "concept" for r in records)
    hard = json.loads(cli("questions", "--difficulty", "hard", "--json").stdout)
    assert hard and {r["difficulty"] for r in hard} == {"hard"}
    assert "cach" in (records[0]["topic"] + records[0]["prompt"]).lower()


def test_questions_plain_table(cli):
    result = cli("questions", "--topic", "leader election")
    assert result.exit_code == 0
    header, first, *_ = result.stdout.splitlines()
    assert header.split() == ["id", "kind", "topic", "difficulty", "prompt"]
    assert "leader" in first.lower()
    assert all(len(line) < 200 for line in result.stdout.splitlines())


def test_questions_topic_without_matches(cli):
    result = cli("questions", "--topic", "quantum knitting", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout) == []
    plain = cli("questions", "--topic", "quantum knitting")
    assert plain.exit_code == 0 and plain.stdout == "" and plain.stderr == "no questions match the topic 'quantum knitting'\n"


def test_questions_bad_kind_and_empty_topic(cli):
    bad_kind = cli("questions", "--kind", "essay")
    assert bad_kind.exit_code == 1 and "Error: Invalid value for '--kind'" in bad_kind.stderr
    empty_topic = cli("questions", "--topic", "the")
    assert empty_topic.exit_code == 1
    assert empty_topic.stderr == "Error: the topic 'the' has no searchable words; name one, e.g. 'caching'\n"


# --------------------------------------------------------------------------- control characters

ESCAPES = "\x1b]0;owned\x07\x1b[2J"  # set the terminal's title, ring, clear the screen


def test_report_prints_no_control_characters_whatever_the_store_holds(cli, tmp_path):
    from interviewer.dialogue import Config, State
    from interviewer.dialogue.state import Attempt, Result
    from interviewer.records import Scorecard
    from interviewer.store import Store

    card = {"score": 0.5, "grade": 2.5, "matched": [{"concept": f"leader{ESCAPES} election", "evidence": "x"}],
            "missed": [{"concept": f"fencing{ESCAPES}", "reference": f"a token{ESCAPES}"}], "delivery": {"words": 3}}
    # A state as an older interviewer (or a hand-edited database) may have saved it.
    state = State(config=Config(topic=f"cach{ESCAPES}ing"), phase="ended", asked=("q1",),
                  results=(Result("q1", 1, attempts=(Attempt(f"my{ESCAPES} answer", Scorecard.from_dict(card)),)),))
    db = f"sqlite:///{tmp_path / 's.db'}"
    with Store.open(db) as store:
        record = store.create_session({}, state.to_dict(), [{"kind": "notice", "text": f"hi{ESCAPES}"}])
    for fmt in ("md", "json", "html"):
        result = cli("report", record.id, "--db", db, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, fmt
        assert "owned" in result.stdout, "the text around the escapes is kept"


def test_a_topic_given_to_chat_is_stored_without_control_characters(cli, tmp_path):
    from interviewer.store import Store

    db = tmp_path / "s.db"
    result = cli("chat", "--db", f"sqlite:///{db}", "--seed", "1", "--topic", f"cach{ESCAPES}ing", "--count", "1",
                 input="/end\n")
    assert result.exit_code == 0, result.output
    session_id = result.stderr.split("Saved as session ")[1].split(";")[0]
    with Store.open(f"sqlite:///{db}") as store:
        record = store.session(session_id)
    assert record.topic == "cach]0;owned[2Jing" and record.config["topic"] == record.topic
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


def test_control_characters_in_a_corpus_never_reach_questions_or_passages(cli, tmp_path, small_corpus):
    # text.repair (ftfy) drops them as the corpus is read; this keeps it so.
    (small_corpus / "bell.md").write_text(f"# Leader{ESCAPES} election\n\nWhat is a fencing{ESCAPES} token? "
                                          "Explain how a leader lease and a fencing token keep a deposed leader "
                                          "from writing.\n", encoding="utf-8")
    data = tmp_path / "data"
    assert cli("build-index", data_dir=data, corpus=small_corpus).exit_code == 0
    for args in (["questions", "--json"], ["search", "fencing token", "--json"]):
        result = cli(*args, data_dir=data, corpus=small_corpus)
        assert result.exit_code == 0, args
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, args
