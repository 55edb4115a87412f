"""Grading (run time): an answer → Scorecard, with no language model.

    grader = Grader(lexicon, inventory=inventory)  # once: lexicon, synonym table, concept inventory
    card = grader.grade(answer, question=q)        # or reference=..., question_text=...
    print(format_scorecard(card))

A bank question carries its concepts (interviewer/concepts picks them at build time); a reference from
elsewhere gets them from the same picker when it is first graded. See scoring.py for the score formula,
matching.py for how a concept is found in an answer, explanation.py for when it counts as explained,
and data/grading_rules.toml for every tunable and rule.
"""

from __future__ import annotations

from interviewer.errors import GradingError
from interviewer.grading.batch import grade_batch
from interviewer.grading.choice import is_option_label
from interviewer.grading.delivery import delivery_of
from interviewer.grading.followup import follow_up_for
from interviewer.grading.render import format_scorecard
from interviewer.grading.scoring import GRADER_DEFAULTS, MAX_ANSWER_CHARS, Grader, grade_to_dict

__all__ = [
    "GRADER_DEFAULTS",
    "MAX_ANSWER_CHARS",
    "Grader",
    "GradingError",
    "delivery_of",
    "follow_up_for",
    "format_scorecard",
    "grade_batch",
    "grade_to_dict",
    "is_option_label",
]
