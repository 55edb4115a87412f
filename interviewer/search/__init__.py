"""Search: heading-aware chunks in a whoosh index on disk, BM25F ranking, snippets, suggestions.

    chunks = chunk_documents(documents)
    write_index(settings.index_dir, chunks, lexicon)
    with SearchIndex.open(settings.index_dir) as index:
        result = index.search("um so like what is a saga", top=3)
"""

from interviewer.search.chunking import Anchor, chunk_document, chunk_documents
from interviewer.search.index import FORMAT, Hit, SearchIndex, SearchResult, write_index
from interviewer.search.query import Plan, Planner, Speller
from interviewer.search.snippet import snippet

__all__ = [
    "Anchor", "FORMAT", "Hit", "Plan", "Planner", "SearchIndex", "SearchResult", "Speller",
    "chunk_document", "chunk_documents", "snippet", "write_index",
]
