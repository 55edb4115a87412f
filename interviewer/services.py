"""Open everything an interview needs from a data dir: the bank, the search index, the grader."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from interviewer.bank import Bank
from interviewer.build import Progress, ensure_built
from interviewer.concepts import Inventory
from interviewer.config import Settings
from interviewer.dialogue import Interviewer
from interviewer.grading import Grader
from interviewer.lexicon import Lexicon
from interviewer.search import SearchIndex
from interviewer.search.query import default_rules as query_rules
from interviewer.search.vocabulary import PhraseDefinitions, PhraseVocabulary
from interviewer.vocabulary import default_synonyms


@dataclass
class Services:
    """The read-only pieces built from the corpus, opened once per process and shared by sessions."""

    settings: Settings
    bank: Bank
    search: SearchIndex
    lexicon: Lexicon
    inventory: Inventory
    grader: Grader

    def interviewer(self, clock: Callable[[], float] = time.time) -> Interviewer:
        """Return a dialogue engine over these pieces."""
        return Interviewer(self.bank, self.search, self.grader, clock=clock)

    def close(self) -> None:
        """Release the search index."""
        self.search.close()


# A concept's other wordings count for this much of the words a user typed (the synonym table's weight).
INVENTORY_WORDING_WEIGHT = 0.5


def open_search(settings: Settings, inventory: Inventory | None = None, **tunables: Any) -> SearchIndex:
    """Open the search index with the vocabulary grading uses: the concept inventory's wordings expand a
    query (below the user's own words, beside the synonym table the build wrote into the index), and
    "what is X" finds X's defining passage where the inventory says the notes define it."""
    if inventory is None:
        inventory = Inventory.load(settings.inventory_path, default_synonyms())
    wordings = PhraseVocabulary([([c.label, *c.aliases], INVENTORY_WORDING_WEIGHT) for c in inventory if c.aliases])
    places = {w: (c.defined_at.doc, c.defined_at.line) for c in inventory if c.defined_at is not None
              for w in (c.label, *c.aliases)}
    definitions = PhraseDefinitions(places, kind_nouns=query_rules().kind_nouns)
    return SearchIndex.open(settings.index_dir, vocabularies=[wordings], definitions=[definitions], **tunables)


def open_services(
    settings: Settings,
    progress: Progress | None = None,
    notice: Callable[[str], None] | None = None,
) -> Services:
    """Build the data dir if it is missing or damaged, then open its bank, index and lexicon."""
    ensure_built(settings, progress=progress, notice=notice)
    lexicon = Lexicon.load(settings.lexicon_path)
    inventory = Inventory.load(settings.inventory_path, default_synonyms())
    return Services(
        settings=settings,
        bank=Bank.load(settings.bank_path),
        search=open_search(settings, inventory),
        lexicon=lexicon,
        inventory=inventory,
        grader=Grader(lexicon, inventory=inventory),
    )
