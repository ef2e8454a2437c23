"""The records that flow through influence: one `Message` in, one `ScoredRow` out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ByteRange:
    """Part of a large mbox or JSONL file, cut where a message starts, so that separate workers
    can read one file: `index` and `line` are those of its first message (message ids and
    citations stay those of a whole-file read)."""

    start: int
    end: int | None  # None: to the end of the file
    index: int  # messages (mbox) or rows (JSONL) before this range
    line: int  # the line number `start` is on


@dataclass
class Message:
    """One message as read from a dump, with enough provenance for a reporter to cite it.

    A message that could not be read still travels as a `Message` with `error` set, so that every
    input ends up in the output exactly once.
    """

    id: str
    source: str
    page: int | None = None
    bates: str | None = None
    line: int | None = None
    offset: int | None = None
    from_: str | None = None
    to: str | None = None
    cc: str | None = None
    date: str | None = None
    subject: str | None = None
    message_id: str | None = None
    in_reply_to: str | None = None
    references: str | None = None
    body: str = ""
    quoted: str = ""
    attachments: list[str] = field(default_factory=list)
    thread_id: str | None = None
    quotes: str | None = None
    duplicate_of: str | None = None
    error: str | None = None

    @property
    def text(self) -> str:
        """The text the pipeline reads: subject, blank line, the author's body, blank line, the
        quoted history. Offsets in evidence refer to this string."""
        head = f"{self.subject}\n\n" if self.subject else ""
        tail = f"\n\n{self.quoted}" if self.quoted else ""
        return f"{head}{self.body}{tail}"

    @property
    def quote_start(self) -> int | None:
        """Offset in `text` where the quoted history begins, or None without one."""
        if not self.quoted:
            return None
        return len(self.text) - len(self.quoted)

    @property
    def sender_domain(self) -> str | None:
        if not self.from_ or "@" not in self.from_:
            return None
        return self.from_.rsplit("@", 1)[1].strip(" >\"'").lower() or None

    def to_dict(self) -> dict[str, Any]:
        return {("from" if k == "from_" else k): v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, row: dict[str, Any]) -> Message:
        row = dict(row)
        if "from" in row:
            row["from_"] = row.pop("from")
        known = cls.__dataclass_fields__
        return cls(**{k: v for k, v in row.items() if k in known})


@dataclass
class Evidence:
    """A span that moved the score, with character offsets into `Message.text`."""

    label: str
    text: str
    start: int
    end: int
    where: str = "body"  # "subject", "body" (the author's words) or "quote" (quoted history)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SCORE_COLUMNS = [
    "id", "source", "page", "bates", "from", "to", "date", "subject",
    "score", "flagged", "gift_offer", "promotion_request", "evidence", "vendors",
    "thread_id", "duplicate_of", "error",
]  # fmt: skip


@dataclass
class ScoredRow:
    """One output row per input message, scored or carrying its error."""

    message: Message
    score: float | None = None
    flagged: bool | None = None
    gift_offer: float | None = None
    promotion_request: float | None = None
    evidence: list[Evidence] = field(default_factory=list)
    vendors: list[str] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return self.message.error

    def to_dict(self) -> dict[str, Any]:
        m = self.message
        return {
            "id": m.id,
            "source": m.source,
            "page": m.page,
            "bates": m.bates,
            "from": m.from_,
            "to": m.to,
            "date": m.date,
            "subject": m.subject,
            "score": None if self.score is None else round(self.score, 4),
            "flagged": self.flagged,
            "gift_offer": None if self.gift_offer is None else round(self.gift_offer, 4),
            "promotion_request": (
                None if self.promotion_request is None else round(self.promotion_request, 4)
            ),
            "evidence": [e.to_dict() for e in self.evidence],
            "vendors": self.vendors,
            "thread_id": m.thread_id,
            "duplicate_of": m.duplicate_of,
            "error": m.error,
        }
