"""One Settings object: where the data and corpus live, which database and message queue to use."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Mapping

_PACKAGE = Path(__file__).resolve().parent

# A corpus file larger than this is skipped with a warning (env INTERVIEWER_MAX_FILE_MB): the
# bundled documents are under 150 KB each, and one 50 MB file would take minutes and gigabytes.
MAX_FILE_MB = 8.0


def bundled(name: str) -> Path:
    """Return the path of a directory shipped with the package (`web` or `corpus`)."""
    # An installed wheel carries them inside the package; a source checkout beside it.
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name


@dataclass(frozen=True)
class Settings:
    """Where things live; every field can come from a flag, an environment variable or a default."""

    data_dir: Path
    corpus_dir: Path
    db_url: str
    message_queue: str | None = None
    max_file_bytes: int = int(MAX_FILE_MB * 2**20)  # corpus files past this are skipped, with a warning

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def bank_path(self) -> Path:
        return self.data_dir / "bank.json"

    @property
    def lexicon_path(self) -> Path:
        return self.data_dir / "lexicon.json"

    @property
    def inventory_path(self) -> Path:
        return self.data_dir / "concepts.json"

    @property
    def speech_dir(self) -> Path:
        return self.data_dir / "speech"

    @property
    def manifest_path(self) -> Path:
        return self.data_dir / "manifest.json"

    def with_(self, **changes) -> Settings:
        """Return a copy with some fields changed."""
        return replace(self, **changes)


def load_settings(
    data_dir: str | os.PathLike | None = None,
    corpus_dir: str | os.PathLike | None = None,
    db_url: str | None = None,
    message_queue: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings from explicit values, then INTERVIEWER_* variables, then defaults."""
    env = os.environ if env is None else env
    data = Path(data_dir or env.get("INTERVIEWER_DATA") or ".interviewer").expanduser()
    corpus = Path(corpus_dir or env.get("INTERVIEWER_CORPUS") or bundled("corpus")).expanduser()
    db = db_url or env.get("INTERVIEWER_DB") or f"sqlite:///{data.resolve() / 'interviewer.db'}"
    queue = message_queue or env.get("INTERVIEWER_MESSAGE_QUEUE") or None
    return Settings(data_dir=data, corpus_dir=corpus, db_url=db, message_queue=queue,
                    max_file_bytes=_megabytes(env.get("INTERVIEWER_MAX_FILE_MB"), MAX_FILE_MB))


def _megabytes(raw: str | None, default: float) -> int:
    """Return a size given in MB (INTERVIEWER_MAX_FILE_MB) in bytes; a bad value is an error that says so."""
    from interviewer.errors import InputError

    if raw is None or not raw.strip():
        return int(default * 2**20)
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise InputError(f"INTERVIEWER_MAX_FILE_MB={raw!r} is not a size in megabytes (e.g. 8 or 0.5)")
    return int(value * 2**20)
