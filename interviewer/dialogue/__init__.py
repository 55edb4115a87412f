"""The rule-driven interview: `Interviewer.start` and `Interviewer.handle(state, text) -> (state, replies)`."""

from interviewer.dialogue.intents import Intent, classify
from interviewer.dialogue.machine import ACTION_PHASES, TRANSITIONS, Interviewer, action_for
from interviewer.dialogue.replies import REPLY_KINDS, Reply
from interviewer.dialogue.state import PHASES, Config, State

__all__ = ["ACTION_PHASES", "Config", "Intent", "Interviewer", "PHASES", "REPLY_KINDS", "Reply", "State",
           "TRANSITIONS", "action_for", "classify"]
