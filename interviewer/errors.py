"""Named exceptions of the library; the CLI and the server translate them at the edge."""


class InterviewerError(Exception):
    """Base class: a problem the user can act on, with a message that says how."""


class CorpusError(InterviewerError):
    """The corpus (or one file of it) cannot be read or holds nothing usable."""


class IndexMissing(InterviewerError):
    """The search index or question bank has not been built in the data dir."""


class IndexCorrupt(InterviewerError):
    """The data dir holds an index that is half-written, damaged or from another version."""


class DataDirError(InterviewerError):
    """The data dir cannot be created or written."""


class GradingError(InterviewerError):
    """An answer or reference cannot be graded (for example, a reference with no concepts)."""


class InputError(InterviewerError):
    """A malformed request: a bad JSON line, a wrong type, an unknown value."""


class StoreError(InterviewerError):
    """The session store is unreachable, locked or out of space after retries."""
