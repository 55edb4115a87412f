"""Shared fixtures: the real corpus, one data dir built per session, the index, the bank, the grader, the CLI,
Socket.IO clients of real server processes."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import settings

from interviewer.bank import Bank
from interviewer.build import build
from interviewer.concepts import Inventory
from interviewer.config import Settings, bundled, load_settings
from interviewer.grading import Grader
from interviewer.ingest import load_corpus
from interviewer.lexicon import Lexicon
from interviewer.search import SearchIndex
from interviewer.vocabulary import default_synonyms


# Property tests explore new inputs on every local run (and keep what fails in .hypothesis/); CI runs
# the same examples every time, so a submission lands or not on its own merits. Set before the test
# modules build their settings.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# A client whose server a fault test killed notices only when its write loop times out, long after
# the test, and engineio logs that as an error ("packet queue is empty, aborting") to stderr.
logging.getLogger("engineio.client").setLevel(logging.CRITICAL)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The bundled corpus, exactly as shipped."""
    return bundled("corpus")


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, corpus_dir) -> Settings:
    """Settings whose data dir holds a build of the bundled corpus (built once per session)."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("data"), corpus_dir=corpus_dir, env={})
    build(settings)
    return settings


@pytest.fixture(scope="session")
def search_index(built_settings):
    """The search index of the session build, open for the whole session."""
    index = SearchIndex.open(built_settings.index_dir)
    yield index
    index.close()


@pytest.fixture(scope="session")
def bank(built_settings) -> Bank:
    """The question bank of the session build."""
    return Bank.load(built_settings.bank_path)


@pytest.fixture
def cli_runner() -> CliRunner:
    """A click runner; `result.stdout` and `result.stderr` are kept apart."""
    return CliRunner()


@pytest.fixture
def cli(cli_runner, built_settings):
    """Run `interviewer ARGS…` against the session build; return the click Result."""
    from interviewer.cli import main

    def run(*args: str, input: str | None = None, data_dir: Path | None = None, corpus: Path | None = None):
        opts = ["--data-dir", str(data_dir or built_settings.data_dir),
                "--corpus", str(corpus or built_settings.corpus_dir)]
        return cli_runner.invoke(main, [*opts, *args], input=input, env={"INTERVIEWER_DEBUG": None})

    return run


@pytest.fixture
def small_corpus(tmp_path, corpus_dir) -> Path:
    """A writable corpus dir holding one real document (000, the smallest), to add bad files to."""
    path = tmp_path / "corpus"
    path.mkdir()
    shutil.copy(corpus_dir / "000-architect-deep-dive.txt", path)
    return path


@pytest.fixture
def small_settings(tmp_path, small_corpus) -> Settings:
    """Settings for `small_corpus` with an empty data dir of its own."""
    return load_settings(data_dir=tmp_path / "data", corpus_dir=small_corpus, env={})


@pytest.fixture(scope="session")
def corpus():
    """The bundled corpus, read and parsed."""
    return load_corpus(bundled("corpus"))


@pytest.fixture(scope="session")
def lexicon(built_settings):
    """The lexicon the product builds (from the index's passages), not one made for the tests."""
    return Lexicon.load(built_settings.lexicon_path)


@pytest.fixture(scope="session")
def inventory(built_settings):
    """The concept inventory of the session build."""
    return Inventory.load(built_settings.inventory_path, default_synonyms())


@pytest.fixture(scope="session")
def questions(bank):
    """The shipped question bank's questions, with the concepts the build gave them."""
    return list(bank)


@pytest.fixture(scope="session")
def grader(lexicon, inventory):
    """The grader the product runs: the build's lexicon and concept inventory."""
    return Grader(lexicon, inventory=inventory)


@pytest.fixture
def clients():
    """Open Socket.IO clients of a server process; every one is closed when the test ends."""
    from procs import Client

    opened: list[Client] = []

    def connect(url: str) -> Client:
        client = Client(url)
        opened.append(client)
        return client

    yield connect
    for client in opened:
        client.close()
