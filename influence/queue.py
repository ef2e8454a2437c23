"""What to read next: continuous active learning with a share of random exploration.

Most hand-outs are the unread message the current model scores highest (continuous active
learning, the TAR baseline); a share `explore` are drawn uniformly at random from the unread pool.
The random ones are recorded as such: they are an unbiased sample of what is left unread, which
is what lets the sample-based stopping rule bound the positives still unread. Duplicates are never
handed out (a duplicate takes its canonical copy's label), nor are unreadable messages.
"""

from __future__ import annotations

import random
import sqlite3
import time
from dataclasses import dataclass

from influence.project import transaction

EXPLORE = 0.1

_UNREAD = """
    SELECT m.seq, m.id, m.subject, m.sender, m.page, m.bates, s.score
    FROM messages m LEFT JOIN scores s
      ON s.message_seq = m.seq AND s.version = (SELECT MAX(version) FROM model_versions)
    WHERE m.error IS NULL AND m.duplicate_of IS NULL
      AND m.seq NOT IN (SELECT message_seq FROM labels)
"""


@dataclass
class Handout:
    id: str
    kind: str  # "ranked" or "random"
    score: float | None
    subject: str | None
    sender: str | None
    page: int | None
    bates: str | None


def next_messages(db: sqlite3.Connection, n: int = 1, explore: float = EXPLORE,
                  rng: random.Random | None = None) -> list[Handout]:  # fmt: skip
    """Hand out up to `n` unread messages and record each hand-out."""
    rng = rng or random.Random()
    out: list[Handout] = []
    with transaction(db):
        unread = db.execute(_UNREAD + " ORDER BY s.score DESC, m.seq").fetchall()
        taken: set[int] = set()
        for _ in range(min(n, len(unread))):
            pool = [r for r in unread if r["seq"] not in taken]
            kind = "random" if rng.random() < explore else "ranked"
            row = rng.choice(pool) if kind == "random" else pool[0]
            taken.add(row["seq"])
            db.execute("INSERT INTO draws (message_seq, kind, pool, at) VALUES (?, ?, ?, ?)",
                       (row["seq"], kind, len(pool), time.time()))  # fmt: skip
            out.append(Handout(row["id"], kind, row["score"], row["subject"], row["sender"], row["page"],
                               row["bates"]))  # fmt: skip
    return out
