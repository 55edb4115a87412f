"""Search: passages cut from the section tree, a whoosh index on disk, BM25F ranking, snippets.

    passages = chunk_documents(documents)
    write_index(settings.index_dir, passages, lexicon, questions=questions, synonyms=groups)
    with SearchIndex.open(settings.index_dir) as index:
        result = index.search("um so like what is a saga", top=3)

Other wordings and defining passages come from the `Vocabulary` and `Definitions` protocols
(interviewer/search/vocabulary.py); `SearchIndex.open(..., vocabularies=[...], definitions=[...])`
adds sources such as the concept inventory.
"""

from interviewer.search.chunking import Anchor, Part, Passage, chunk_document, chunk_documents
from interviewer.search.index import Hit, SearchIndex, SearchResult
from interviewer.search.writing import FORMAT, write_index
from interviewer.search.query import Clause, Plan, Planner, Speller
from interviewer.search.snippet import snippet
from interviewer.search.vocabulary import (
    Alternative, Definitions, PhraseDefinitions, PhraseVocabulary, Vocabulary, synonym_groups,
)

__all__ = [
    "Alternative", "Anchor", "Clause", "Definitions", "FORMAT", "Hit", "Part", "Passage", "PhraseDefinitions",
    "PhraseVocabulary", "Plan", "Planner", "SearchIndex", "SearchResult", "Speller", "Vocabulary",
    "chunk_document", "chunk_documents", "snippet", "synonym_groups", "write_index",
]
