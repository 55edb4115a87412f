"""A look-up answered from the notes: the passage that answers, cited, and where else to read.

`lookup_reply(search, query, during_question)` is pure apart from the search index it is given.
"""

from __future__ import annotations

from typing import Any

from interviewer.dialogue import replies as say
from interviewer.dialogue.replies import Reply
from interviewer.errors import InputError
from interviewer.text import analyze

# A looked-up part of fewer words only names the thing; the part (or section) after it is quoted too,
# when it is among the hits and starts within this many lines.
LOOKUP_SHORT_WORDS = 30
LOOKUP_NEXT_SECTION_LINES = 12


def lookup_reply(search: Any, query: str, during_question: bool) -> tuple[Reply, Any | None]:
    """Answer a look-up: the reply, and the search result it was made from (None when nothing was searched)."""
    query = query.strip()
    if not query:
        return Reply("notice", "What should I look up? For example: /lookup fencing token"), None
    try:
        result = search.search(query, top=3)
    except InputError:
        return Reply("notice", f"“{query}” has no words I can search for. "
                     "Name a concept, e.g. /lookup consistent hashing"), None
    # What the question asks, without fillers, tails ("again", "real quick") or question words.
    topic = result.topic or query
    back = " Back to the question whenever you're ready." if during_question else ""
    hits = [{"doc": h.doc, "heading": h.heading, "line": h.line, "snippet": h.snippet, "text": h.text}
            for h in result.hits]
    data = {"query": topic, "asked": query, "kind": result.kind, "suggestion": result.suggestion, "hits": hits}
    if not hits:
        maybe = f" Did you mean “{result.suggestion}”?" if result.suggestion else ""
        return Reply("lookup", f"I found nothing on “{topic}” in the notes.{maybe}{back}", data), result
    top, *others = result.hits
    passing = result.kind == "lookup" and not result.suggestion and named_in_passing(search, topic, top)
    data["in_passing"] = passing
    lead = "The notes only mention this in passing; the closest is from " if passing else "From "
    text = lead + _quoted(top, others)
    if others:
        text += "\nSee also: " + "; ".join(say.cite(h.doc, h.heading, h.line) for h in others)
    if result.suggestion:
        text = f"(Searching for “{result.suggestion}”.) " + text
    return Reply("lookup", text + ("\n" + back.strip() if back else ""), data), result


def _quoted(top: Any, others: list[Any]) -> str:
    """Quote the part of the best passage that matched, cited; a one-line part ("This is known as a
    retry storm.") names the thing without explaining it, so the part right after it is quoted too
    (taken out of `others` when it is a hit of its own)."""
    part = top.part_text(top.cited)
    if top.parts and top.cited < len(top.parts):
        part = _without_heading(part, top.parts[top.cited].heading_path) or part
    short = len(part.split()) < LOOKUP_SHORT_WORDS
    text = f"{say.cite(top.doc, top.heading, top.line)}: {_passage(part if short else top.snippet, 400)}"
    if short and top.cited + 1 < len(top.parts):
        nxt = top.parts[top.cited + 1]
        text += (f"\n{say.cite(top.doc, ' > '.join(nxt.heading_path), nxt.line)}: "
                 f"{_passage(_without_heading(top.part_text(top.cited + 1), nxt.heading_path), 300)}")
    elif short:
        after = _section_after(top, others)
        if after is not None:
            others.remove(after)
            text += f"\n{say.cite(after.doc, after.heading, after.line)}: {_passage(after.text, 300)}"
    return text


def named_in_passing(search: Any, topic: str, top: Any) -> bool:
    """Tell whether the best passage names the topic's most telling word once, and not in its
    heading ("cache stampede" in a list of caching use cases): the notes have no section on it."""
    df = {t: search.document_frequency(t) for t in analyze(topic)}
    used = [t for t, n in df.items() if n > 0]
    if not used:
        return False
    rarest = min(used, key=df.__getitem__)
    return rarest not in analyze(top.heading) and analyze(top.text).count(rarest) <= 1


def _passage(text: str, limit: int) -> str:
    """Quote corpus text as plain words: markdown emphasis off, clipped on a word boundary."""
    return say.clip(text.replace("**", ""), limit)


def _without_heading(text: str, path: tuple[str, ...]) -> str:
    """Drop the heading lines an absorbed part opens with (the citation names them)."""
    lines = text.split("\n")
    while lines and lines[0].strip() in path:
        lines = lines[1:]
    return "\n".join(lines)


def _section_after(top: Any, others: list[Any]) -> Any | None:
    """Return the hit that starts next after `top` in the same document, if the search found one."""
    after = [h for h in others if h.doc == top.doc and 0 < h.line - top.line <= LOOKUP_NEXT_SECTION_LINES]
    return min(after, key=lambda h: h.line, default=None)
