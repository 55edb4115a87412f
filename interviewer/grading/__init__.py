"""Grading: concepts from a reference answer, and an answer → Scorecard, with no language model.

    grader = Grader(lexicon)                      # once: lexicon + synonym table
    card = grader.grade(answer, question=q)       # or reference=..., question_text=...
    print(format_scorecard(card))

See scoring.py for the score formula, data/grading_rules.toml for every tunable and rule,
data/grading_words.toml for the words a concept may not be or start or end with (labels.py), and
data/synonyms.toml for the domain's alternative wordings. Concepts: concepts.py (public API) →
candidates.py (read the reference, collect candidates) → selection.py (weigh, choose, evidence).
"""

from __future__ import annotations

from interviewer.errors import GradingError
from interviewer.grading.aliases import SynonymTable, build_synonyms, default_synonyms, load_synonyms
from interviewer.grading.batch import grade_batch
from interviewer.grading.choice import is_option_label
from interviewer.grading.concepts import concepts_for, extract_concepts, probe_concepts
from interviewer.grading.delivery import delivery_of
from interviewer.grading.followup import follow_up_for
from interviewer.grading.render import format_scorecard
from interviewer.grading.scoring import GRADER_DEFAULTS, Grader, grade_to_dict

__all__ = [
    "GRADER_DEFAULTS",
    "Grader",
    "GradingError",
    "SynonymTable",
    "build_synonyms",
    "concepts_for",
    "default_synonyms",
    "delivery_of",
    "extract_concepts",
    "follow_up_for",
    "format_scorecard",
    "grade_batch",
    "grade_to_dict",
    "is_option_label",
    "load_synonyms",
    "probe_concepts",
]
