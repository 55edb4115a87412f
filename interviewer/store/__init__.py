"""The session store: every session, turn and scorecard, saved before its reply is sent."""

from interviewer.store.core import StaleState, Store, summarise
from interviewer.store.learners import Learner, PracticeWrite, ReviewEntry, ReviewIn
from interviewer.store.records import ScorecardRow, SessionRecord, Turn
from interviewer.store.schema import current_version

SCHEMA_VERSION = current_version()

__all__ = ["SCHEMA_VERSION", "Learner", "PracticeWrite", "ReviewEntry", "ReviewIn", "ScorecardRow", "SessionRecord", "StaleState", "Store", "Turn", "summarise"]
