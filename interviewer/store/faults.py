"""Database errors sorted into what happened (locked, full, read-only, unreachable…) and told plainly."""

from __future__ import annotations

import errno
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

# SQLite result-code names (Python's sqlite3 puts them on the exception as `sqlite_errorname`).
_SQLITE = {
    "SQLITE_BUSY": "locked",
    "SQLITE_LOCKED": "locked",
    "SQLITE_FULL": "full",
    "SQLITE_READONLY": "readonly",
    "SQLITE_IOERR": "io",
    "SQLITE_CANTOPEN": "cantopen",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_PERM": "readonly",
    "SQLITE_AUTH": "readonly",
}
# Older drivers give no code: fall back to the message text.
_SQLITE_TEXT = (
    ("locked", "locked"), ("busy", "locked"), ("disk is full", "full"), ("readonly", "readonly"),
    ("read-only", "readonly"), ("disk i/o", "io"), ("unable to open", "cantopen"),
    ("malformed", "corrupt"), ("not a database", "corrupt"),
)
# PostgreSQL SQLSTATE classes and codes.
_PG = {
    "53100": "full", "53200": "io", "53300": "unreachable", "25006": "readonly",
    "40001": "conflict", "40P01": "conflict", "55P03": "locked", "57P01": "unreachable",
    "57P02": "unreachable", "57P03": "unreachable", "08": "unreachable", "53": "io", "58": "io",
}
_ERRNO = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "readonly", errno.EACCES: "readonly",
          errno.EPERM: "readonly", errno.ENOENT: "cantopen", errno.ENOTDIR: "cantopen"}
# Worth another try: the cause usually passes within a second or two.
TRANSIENT = frozenset({"locked", "io", "unreachable", "conflict", "cantopen"})


@dataclass(frozen=True)
class Fault:
    """What went wrong with the database, and whether trying again may help."""

    reason: str  # locked | full | readonly | io | cantopen | corrupt | unreachable | conflict | other
    detail: str

    @property
    def transient(self) -> bool:
        return self.reason in TRANSIENT


def classify(error: BaseException) -> Fault:
    """Sort a database error into a Fault."""
    orig = getattr(error, "orig", None) or error
    detail = " ".join(str(orig).split()) or type(orig).__name__
    name = getattr(orig, "sqlite_errorname", None)
    if name:
        for prefix, reason in _SQLITE.items():
            if name == prefix or name.startswith(prefix + "_"):
                return Fault(reason, detail)
    state = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "diag", None), "sqlstate", None)
    if state:
        reason = _PG.get(state) or _PG.get(state[:2])
        if reason:
            return Fault(reason, detail)
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return Fault("unreachable", detail)
    module = type(orig).__module__ or ""
    lowered = detail.lower()
    if module.startswith("sqlite3"):
        for needle, reason in _SQLITE_TEXT:
            if needle in lowered:
                return Fault(reason, detail)
    if module.startswith("psycopg") and isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
        return Fault("unreachable", detail)
    if isinstance(orig, OSError):
        return Fault(_ERRNO.get(orig.errno, "io"), detail)
    return Fault("other", detail)


def explain(fault: Fault, where: str, tries: int = 1, saving: bool = True) -> str:
    """Say what happened to the database and how to get going again, in sentences fit for the user.

    saving: the failure stopped a write, so say that nothing was saved and it can be sent again.
    """
    after = f" (still failing after {tries} tries)" if tries > 1 else ""
    happened, fix = {
        "locked": (f"The database {where} is locked by another program{after}",
                   "try again in a moment, or close the program that holds it"),
        "full": (f"The disk holding the database {where} is full", "free some space and try again"),
        "readonly": (f"The database {where} is read-only",
                     "make it writable again (file permissions, `chattr -i`, or remount the disk read-write) "
                     "and try again"),
        "io": (f"The database {where} hit a disk I/O error{after} ({fault.detail})",
               "try again once the disk is healthy"),
        "cantopen": (f"The database {where} cannot be opened{after} ({fault.detail})",
                     "check that its folder exists and is writable, then try again"),
        "corrupt": (f"The database {where} is damaged ({fault.detail})",
                    "restore it from a backup, or point --db / INTERVIEWER_DB at a new file"),
        "unreachable": (f"Cannot reach the database at {where}{after} ({fault.detail})",
                        "check that the database server is running and the URL (--db / INTERVIEWER_DB) is "
                        "right, then try again"),
        "conflict": (f"The database {where} kept refusing the write because of concurrent updates{after}",
                     "try again"),
    }.get(fault.reason, (f"The database {where} refused the request ({fault.detail})", "try again"))
    if saving and fault.reason != "corrupt":
        return f"{happened}. Nothing was saved; {fix}."
    return f"{happened}. {fix[0].upper()}{fix[1:]}."
