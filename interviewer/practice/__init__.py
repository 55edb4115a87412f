"""Practice that remembers: per-concept mastery with FSRS, the review log, review rounds and progress."""

from interviewer.practice.reviews import ConceptReview, reviews_between
from interviewer.practice.rules import Outcome, PracticeRules, Rating, practice_rules
from interviewer.practice.schedule import LoggedReview, Mastery, advance, replay, rescheduled
from interviewer.practice.service import Practice, advance_row, cards_of, moment, offset_clock, parse_now

__all__ = ["ConceptReview", "LoggedReview", "Mastery", "Outcome", "Practice", "PracticeRules", "Rating", "advance",
           "advance_row", "cards_of", "moment", "offset_clock", "parse_now", "practice_rules", "replay",
           "rescheduled", "reviews_between"]
