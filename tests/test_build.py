"""The build: bank + lexicon + index + manifest, bad corpus files, damaged/stale data, locking.

Tests run as root, so chmod cannot make a file unreadable or a directory read-only; each test
that needs one says in its docstring what it uses instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from interviewer.bank import Bank
from interviewer.build import BuildReport, build, check, ensure_built, rules_fingerprint
from interviewer.errors import CorpusError, DataDirError, IndexCorrupt
from interviewer.lexicon import Lexicon
from interviewer.search import SearchIndex


def test_session_build_is_complete_and_valid(built_settings):
    assert check(built_settings) is None
    manifest = json.loads(built_settings.manifest_path.read_text())
    counts = manifest["counts"]
    assert counts["documents"] == 5 and counts["chunks"] > 250 and counts["questions"] > 200
    assert len(Bank.load(built_settings.bank_path)) == counts["questions"]
    assert Lexicon.load(built_settings.lexicon_path).expansions("CDC")
    with SearchIndex.open(built_settings.index_dir) as index:
        assert len(index.chunks) == counts["chunks"]
    report = ensure_built(built_settings)
    assert report.built is False and report.documents == 5
    assert re.fullmatch(r"indexed 5 documents, \d+ chunks, \d+ questions in \d+\.\d\d s", report.summary())


def test_build_reports_progress_in_order(small_settings):
    seen: list[tuple[str, float]] = []
    build(small_settings, progress=lambda stage, fraction: seen.append((stage, fraction)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and seen[-1] == ("done", 1.0)
    assert {"reading corpus", "indexing"} <= {s for s, _ in seen}


def test_empty_corpus_dir_is_a_clear_error(tmp_path):
    settings = _settings(tmp_path, corpus=tmp_path / "empty")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match=r"has no \.md, \.markdown or \.txt files"):
        build(settings)
    assert not settings.manifest_path.exists()


def test_missing_corpus_dir_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        build(_settings(tmp_path, corpus=tmp_path / "nowhere"))


def _binary(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 8)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _unreadable(path: Path) -> None:
    """A regular file whose read fails: a link to /proc/self/mem (reading offset 0 gives EIO)."""
    path.symlink_to("/proc/self/mem")


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "gone.md")


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inner.txt").write_text("# Inside\n\nA real note inside a directory named like a file.\n")


@pytest.mark.parametrize(("name", "make", "problem"), [
    ("photo.md", _binary, "skipped photo.md: it looks like a binary file, not text"),
    ("blank.md", _empty, "skipped blank.md: it holds no text"),
    ("locked.md", _unreadable, "skipped locked.md: cannot read it (Input/output error)"),
    ("moved.md", _dangling, "skipped moved.md: it is a broken link"),
    ("folder.md", _directory, "skipped folder.md: it is a directory"),
])
def test_bad_corpus_file_is_skipped_with_a_warning(small_settings, name, make, problem):
    make(small_settings.corpus_dir / name)
    report = build(small_settings)
    assert problem in report.problems
    assert report.documents >= 1 and check(small_settings) is None
    with SearchIndex.open(small_settings.index_dir) as index:
        assert index.search("snowflake id").hits


def test_broken_encoding_is_read_with_a_warning_and_indexed(small_settings):
    (small_settings.corpus_dir / "latin.md").write_bytes(
        "# Caf\xe9 notes\n\nThe widgetron pattern caches r\xe9sum\xe9 lookups.\n".encode("cp1252"))
    report = build(small_settings)
    assert "latin.md: not valid UTF-8 (byte 5); read as cp1252" in report.problems
    assert report.documents == 2
    with SearchIndex.open(small_settings.index_dir) as index:
        hit = index.search("widgetron").hits[0]
    assert hit.doc == "latin" and hit.heading == "Café notes" and "résumé" in hit.text


# --------------------------------------------------------------------------- damaged data


def _garbage_segments(settings) -> None:
    for seg in settings.index_dir.glob("*.seg"):
        seg.write_bytes(b"garbage!" * 64)


def _no_manifest(settings) -> None:
    settings.manifest_path.unlink()


def _truncated_bank(settings) -> None:
    data = settings.bank_path.read_bytes()
    settings.bank_path.write_bytes(data[: len(data) // 2])


def _no_index(settings) -> None:
    shutil.rmtree(settings.index_dir)


def _old_version(settings) -> None:
    manifest = json.loads(settings.manifest_path.read_text())
    manifest["format"] = "0.0.0"
    settings.manifest_path.write_text(json.dumps(manifest))


def _corpus_changed(settings) -> None:
    (settings.corpus_dir / "new.md").write_text("# Bloom filters\n\nA bloom filter answers maybe or no.\n")


def _manifest_without_counts(settings) -> None:
    manifest = json.loads(settings.manifest_path.read_text())
    del manifest["counts"]
    settings.manifest_path.write_text(json.dumps(manifest))


def _garbled_manifest(settings) -> None:
    settings.manifest_path.write_text('{"format": ')


@pytest.mark.parametrize(("damage", "kind", "notice"), [
    (_garbage_segments, "damaged", r"the index in .* is damaged \(index/MAIN_\w+\.seg changed on disk\); rebuilding"),
    (_no_manifest, "incomplete", r"the index in .* is incomplete \(a build did not finish\); rebuilding"),
    (_truncated_bank, "damaged", r"the index in .* is damaged \(bank\.json changed on disk\); rebuilding"),
    (_no_index, "damaged", r"the index in .* is damaged \(index/\S+ is missing\); rebuilding"),
    (_old_version, "outdated", r"the index in .* was built by another version of interviewer or its rules; rebuilding"),
    (_garbled_manifest, "damaged", r"the index manifest in .* cannot be read .*; rebuilding"),
    (_manifest_without_counts, "damaged", r"the index manifest in .* lacks its counts; rebuilding"),
    (_corpus_changed, "stale", r"the corpus in .* changed since the index was built; rebuilding"),
])
def test_damaged_or_stale_data_is_detected_and_rebuilt(small_settings, damage, kind, notice):
    build(small_settings)
    damage(small_settings)
    assert check(small_settings).kind == kind
    notices: list[str] = []
    report = ensure_built(small_settings, notice=notices.append)
    assert report.built and len(notices) == 1 and re.fullmatch(notice, notices[0]), notices
    assert check(small_settings) is None
    with SearchIndex.open(small_settings.index_dir) as index:
        assert index.search("snowflake id").hits


def test_an_edited_rule_table_makes_the_build_outdated(tmp_path):
    import interviewer

    package = Path(interviewer.__file__).parent
    same, edited = (shutil.copytree(package, tmp_path / name / "interviewer", ignore=shutil.ignore_patterns("__pycache__"))
                    for name in ("same", "edited"))
    with open(edited / "data" / "synonyms.toml", "a", encoding="utf-8") as f:
        f.write('"hot partition" = ["hot shard"]\n')
    assert rules_fingerprint(same) == rules_fingerprint(package) != rules_fingerprint(edited)


def test_damaged_data_without_rebuild_says_how_to_fix(small_settings):
    build(small_settings)
    _truncated_bank(small_settings)
    with pytest.raises(IndexCorrupt, match=r"damaged \(bank\.json changed on disk\); run `interviewer build-index`"):
        ensure_built(small_settings, rebuild_damaged=False)


def test_missing_data_is_built_on_first_use(small_settings):
    notices: list[str] = []
    report = ensure_built(small_settings, notice=notices.append)
    assert report.built and report.documents == 1
    assert notices == [f"there is no index in {small_settings.data_dir} yet; building it now"]
    assert ensure_built(small_settings, notice=notices.append).built is False and len(notices) == 1


def test_half_written_build_is_ignored_and_cleaned(small_settings):
    """A build killed mid-way leaves a .build-* temp dir (and maybe no manifest); simulated by hand."""
    build(small_settings)
    leftover = small_settings.data_dir / ".build-12345-dead"
    (leftover / "index").mkdir(parents=True)
    (leftover / "bank.json").write_text('{"format": 1, "questions": [')
    assert check(small_settings) is None  # a leftover temp dir does not make the build invalid
    _no_manifest(small_settings)  # killed between moving files in and writing the manifest
    assert ensure_built(small_settings, notice=lambda m: None).built
    assert not leftover.exists() and check(small_settings) is None


def test_data_dir_under_a_file_is_a_clear_error(tmp_path, small_corpus):
    """An unwritable data dir simulated by a path under a regular file (root ignores chmod)."""
    (tmp_path / "file").write_text("not a directory")
    settings = _settings(tmp_path, data=tmp_path / "file" / "data", corpus=small_corpus)
    with pytest.raises(DataDirError, match=r"cannot write the index to the data dir .*file/data \(Not a directory\); "
                                           r"choose a writable one with --data-dir or INTERVIEWER_DATA"):
        ensure_built(settings)


@pytest.fixture
def immutable(tmp_path):
    """Make directories read-only even for root with `chattr +i` (skipped where chattr does not work)."""
    made: list[Path] = []

    def freeze(path: Path) -> None:
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"chattr +i does not work here: {done.stderr.decode().strip()}")
        made.append(path)

    yield freeze
    for path in made:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_read_only_data_dir_serves_a_valid_build_and_refuses_a_rebuild(small_settings, immutable):
    """A read-only data dir simulated with `chattr +i` (root ignores chmod)."""
    build(small_settings)
    immutable(small_settings.data_dir)
    assert ensure_built(small_settings).built is False  # reading needs no writes, no lock
    with SearchIndex.open(small_settings.index_dir) as index:
        assert index.search("snowflake id").hits
    _corpus_changed(small_settings)
    with pytest.raises(DataDirError, match=r"cannot write the index to the data dir .* \(not writable\)"):
        ensure_built(small_settings)


def test_two_builders_at_once_build_once(small_settings):
    reports: list[BuildReport] = []
    threads = [threading.Thread(target=lambda: reports.append(ensure_built(small_settings, notice=lambda m: None)))
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.built for r in reports) == [False, False, True]
    assert check(small_settings) is None


def test_rebuild_replaces_the_index_an_open_reader_still_uses(small_settings):
    build(small_settings)
    with SearchIndex.open(small_settings.index_dir) as old:
        _corpus_changed(small_settings)
        build(small_settings)
        assert old.search("snowflake id").hits  # the old files stay readable until closed
    with SearchIndex.open(small_settings.index_dir) as new:
        assert new.search("bloom filter").hits[0].doc == "new"
    assert sorted(p.name for p in small_settings.data_dir.iterdir()) == [
        ".build.lock", "bank.json", "concepts.json", "index", "lexicon.json", "manifest.json", "speech"]


def _settings(tmp_path: Path, data: Path | None = None, corpus: Path | None = None):
    from interviewer.config import load_settings

    return load_settings(data_dir=data or tmp_path / "data", corpus_dir=corpus, env={})


def test_a_program_read_from_stdin_can_build(small_settings):
    # A spawned process cannot start again a program read from stdin (`python - <<EOF`): the speech
    # model is then built in the program's own process, and the build still completes.
    script = (
        "from pathlib import Path\n"
        "from interviewer.build import ensure_built\n"
        "from interviewer.config import load_settings\n"
        f"ensure_built(load_settings(data_dir=Path({str(small_settings.data_dir)!r}), "
        f"corpus_dir=Path({str(small_settings.corpus_dir)!r}), env={{}}))\n"
    )
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    check(small_settings)
    assert (small_settings.data_dir / "speech").is_dir()
