"""Duplicates, threads and quotations across a stream of messages.

`link_messages(messages)` yields every message once, in input order, with three fields set:

- `duplicate_of`: the id of the first copy of the same message (the same email exported to several
  files, or printed in several PDFs). Copies match by Message-ID; messages without one match by a
  hash of sender, date to the minute, subject and body words.
- `thread_id`: the id of the first message seen of its thread. Threads follow Message-ID,
  In-Reply-To and References; a message without such links joins the thread of the message it
  quotes, else of an earlier message with the same subject (less "Re:", "Fw:" and their
  translations) that shares a participant; else it starts its own thread.
- `quotes`: the id of an earlier message whose body appears, word for word, in this message's
  quoted history; the nearest one (the top of the history) when several do.

It streams: for each message it keeps a few short keys (ids, Message-IDs, 64-bit hashes, the
participants of a subject), never a body, so memory grows with the number of messages, not with
their size. A message seen before its parent still lands in the parent's thread, whose id is then
the reply's (the first seen); links only ever point backwards.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from influence.types import Message

WINDOW = 8  # words that open a body: the lookup key for finding it inside a quoted history
MIN_WORDS = WINDOW  # shorter bodies ("Thanks!") are in too many histories to say which was quoted
MAX_PARTICIPANTS = 64  # per subject thread
PRINT_WORDS = 60  # body words two prints of one message share: their ends differ (attachment lists,
# a mobile signature, a production's trailing stamp) where their openings do not

_PREFIX = re.compile(
    r"(?i)^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|tr|antw|rif|enc|res|odp|r)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
    r"|\[(?:external|ext|spam|suspected spam|caution)\]|\((?:external|ext)\))\s*"
)
_ADDRESS = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_WORD = re.compile(r"\w+")


def normalize_subject(subject: str | None) -> str:
    """The subject without reply and forward prefixes or external-mail tags, case-folded."""
    text = " ".join((subject or "").split())
    while True:
        stripped = _PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return text.casefold()


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MESSAGE_ID.findall(value) or value.split()
    return [m.strip("<>").lower() for m in found if m.strip("<>")]


def _people(value: str | None) -> list[str]:
    """Addresses in a header, or its names (split at ";") when it shows no address."""
    if not value:
        return []
    found = _ADDRESS.findall(value)
    if found:
        return [a.lower() for a in found]
    names = (" ".join(n.replace('"', " ").split()).casefold() for n in value.split(";"))
    return [n for n in names if n]


def _words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _sender_keys(value: str | None) -> list[tuple[str, ...]]:
    """Who sent it, as each print of one message may show it: the address, and the words of the
    display name in any order ("Reyes, Dana" and "Dana Reyes <d@x.gov>" alike)."""
    if not value:
        return [()]
    keys = [tuple(_people(value)[:1])]
    name = _ADDRESS.sub(" ", value.split(";")[0])
    words = tuple(sorted({w for w in re.findall(r"[^\W\d_]{2,}", name.casefold()) if w != "mailto"}))
    if words and words not in keys:
        keys.append(words)
    return keys


def fingerprints(m: Message) -> list[int]:
    """Same sender, minute, subject and opening body words: the same message, one key per way of
    naming the sender. Empty when too little is known."""
    words = tuple(_words(m.body))
    if not m.from_ or not (m.date or len(words) >= MIN_WORDS) or not (words or m.subject):
        return []  # without a date, only a body of some length tells one sending from another
    subject = " ".join((m.subject or "").split()).casefold()
    rest = ((m.date or "")[:16], subject, words[:PRINT_WORDS])
    return [hash((sender, *rest)) for sender in _sender_keys(m.from_)]


@dataclass
class _SubjectThread:
    thread: str
    people: set[str] = field(default_factory=set)


class Linker:
    """The state of `link_messages`: small keys for every message seen so far."""

    def __init__(self) -> None:
        self._by_message_id: dict[str, str] = {}  # Message-ID -> id of the first copy
        self._by_fingerprint: dict[int, tuple[str, bool]] = {}  # -> (id, had a Message-ID)
        self._thread_of_mid: dict[str, str] = {}  # Message-ID (seen or referenced) -> thread
        self._thread_of_id: dict[str, str] = {}  # message id -> thread
        self._order: dict[str, int] = {}  # thread -> when it started
        self._merged: dict[str, str] = {}  # thread -> the older thread it turned out to belong to
        self._subjects: dict[int, list[_SubjectThread]] = {}
        self._openings: dict[int, list[tuple[str, int, int]]] = {}  # first words -> (id, n, hash)

    def _root(self, thread: str) -> str:
        while thread in self._merged:
            thread = self._merged[thread]
        return thread

    def _header_thread(self, keys: list[str]) -> str | None:
        found = {self._root(self._thread_of_mid[k]) for k in keys if k in self._thread_of_mid}
        if not found:
            return None
        oldest = min(found, key=self._order.__getitem__)
        for other in found - {oldest}:
            self._merged[other] = oldest  # this message joins two threads: later ones see one
        return oldest

    def _quoted(self, quoted: str, prefer: str | None, exclude: str | None) -> str | None:
        """The earlier message whose body stands nearest the top of this quoted history."""
        words = _words(quoted)
        for i in range(len(words) - WINDOW + 1):
            candidates = self._openings.get(hash(tuple(words[i : i + WINDOW])))
            if not candidates:
                continue
            hits = [
                cid
                for cid, n, whole in candidates
                if cid != exclude and i + n <= len(words) and hash(tuple(words[i : i + n])) == whole
            ]
            if hits:
                same = [h for h in hits if prefer and self._root(self._thread_of_id[h]) == prefer]
                return (same or hits)[-1]
        return None

    def _subject_thread(self, subject: int, people: set[str]) -> str | None:
        for entry in self._subjects.get(subject, ()):
            if people & entry.people or not (people or entry.people):
                return self._root(entry.thread)
        return None

    def _remember_subject(self, subject: int, people: set[str], thread: str) -> None:
        entries = self._subjects.setdefault(subject, [])
        for entry in entries:
            if self._root(entry.thread) == thread:
                room = MAX_PARTICIPANTS - len(entry.people)
                entry.people.update(sorted(people - entry.people)[: max(room, 0)])
                return
        entries.append(_SubjectThread(thread, set(sorted(people)[:MAX_PARTICIPANTS])))

    def link(self, m: Message) -> Message:
        if m.error and not (m.message_id or m.subject):
            return m  # a file that could not be read: nothing to link
        mid = next(iter(_message_ids(m.message_id)), None)
        keys = ([mid] if mid else []) + _message_ids(m.references) + _message_ids(m.in_reply_to)
        printed = fingerprints(m)

        first = self._by_message_id.get(mid) if mid else None
        for key in printed if first is None else ():
            if key in self._by_fingerprint:
                earlier, earlier_had_mid = self._by_fingerprint[key]
                if not (mid and earlier_had_mid):  # two different Message-IDs: two sendings
                    first = earlier
                break
        m.duplicate_of = first

        header_thread = None if first else self._header_thread(keys)
        m.quotes = self._quoted(m.quoted, header_thread, exclude=first) if m.quoted else None

        subject = normalize_subject(m.subject)
        subject_key = hash(subject) if subject else None
        people = {p for f in (m.from_, m.to, m.cc) for p in _people(f)}
        if first is not None:
            thread = self._root(self._thread_of_id[first])
        else:
            thread = (
                header_thread
                or (self._root(self._thread_of_id[m.quotes]) if m.quotes else None)
                or (self._subject_thread(subject_key, people) if subject_key is not None else None)
                or m.id
            )
            self._order.setdefault(thread, len(self._order))
        m.thread_id = thread

        self._thread_of_id[m.id] = thread
        for key in keys:
            self._thread_of_mid.setdefault(key, thread)
        if subject_key is not None:
            self._remember_subject(subject_key, people, thread)
        if first is None:
            if mid:
                self._by_message_id[mid] = m.id
            for key in printed:
                self._by_fingerprint.setdefault(key, (m.id, bool(mid)))
            words = _words(m.body)
            if len(words) >= MIN_WORDS:
                entry = (m.id, len(words), hash(tuple(words)))
                self._openings.setdefault(hash(tuple(words[:WINDOW])), []).append(entry)
        return m


def link_messages(messages: Iterable[Message]) -> Iterator[Message]:
    """Each message, in order, with `duplicate_of`, `thread_id` and `quotes` set (see above)."""
    linker = Linker()
    for m in messages:
        yield linker.link(m)
