"""A review project: one SQLite file holding a dump's messages, their scores per model version,
the reviewer's labels and an append-only audit log (issue 11).

Why SQLite: one file a reporter can copy, back up and open in any SQLite browser; transactions, so
that a killed process leaves the last committed state and never half a batch; WAL mode, so that a
reader (the review app) never blocks the writer. Labels and the audit log are append-only (the
database refuses UPDATE and DELETE on them): an undo is a new label row, and the history of every
judgement stays in the file.

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[k]` takes a project from version k
to k + 1, so a project made by an older release opens in a newer one.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from influence.errors import InfluenceError
from influence.types import Message, ScoredRow

LABELS = ("positive", "negative", "unsure")
UNDO = "undo"  # a label row that withdraws the reviewer's latest label of that message
BATCH = 256  # messages per transaction while a dump is added

MIGRATIONS = [
    """
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,          -- input order
        id TEXT NOT NULL UNIQUE,
        source TEXT NOT NULL, page INTEGER, bates TEXT, line INTEGER, "offset" INTEGER,
        sender TEXT, recipients TEXT, cc TEXT, date TEXT, subject TEXT,
        message_id TEXT, in_reply_to TEXT, "references" TEXT,
        body TEXT NOT NULL DEFAULT '', quoted TEXT NOT NULL DEFAULT '', attachments TEXT,
        thread_id TEXT, quotes TEXT, duplicate_of TEXT, error TEXT,
        added_at REAL NOT NULL
    );
    CREATE INDEX messages_thread ON messages(thread_id);
    CREATE INDEX messages_duplicate ON messages(duplicate_of);
    CREATE TABLE model_versions (
        version INTEGER PRIMARY KEY,
        created_at REAL NOT NULL,
        source TEXT NOT NULL,             -- "shipped" or the labels it was trained on
        threshold REAL,
        card TEXT NOT NULL                -- the model card, JSON
    );
    CREATE TABLE scores (
        message_seq INTEGER NOT NULL REFERENCES messages(seq),
        version INTEGER NOT NULL REFERENCES model_versions(version),
        score REAL, flagged INTEGER, gift_offer REAL, promotion_request REAL,
        evidence TEXT, vendors TEXT,
        PRIMARY KEY (message_seq, version)
    );
    CREATE TABLE labels (
        n INTEGER PRIMARY KEY,
        message_seq INTEGER NOT NULL REFERENCES messages(seq),
        label TEXT NOT NULL CHECK (label IN ('positive', 'negative', 'unsure', 'undo')),
        reviewer TEXT NOT NULL,
        note TEXT,
        at REAL NOT NULL
    );
    CREATE INDEX labels_message ON labels(message_seq);
    CREATE TABLE audit (
        n INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE TRIGGER labels_append_only_u BEFORE UPDATE ON labels
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
    CREATE TRIGGER labels_append_only_d BEFORE DELETE ON labels
        BEGIN SELECT RAISE(ABORT, 'labels are append-only'); END;
    CREATE TRIGGER audit_append_only_u BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_append_only_d BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    """,
    # 2: the review queue's hand-outs, so that the random share of them can bound what is left
    """
    CREATE TABLE draws (
        n INTEGER PRIMARY KEY,
        message_seq INTEGER NOT NULL REFERENCES messages(seq),
        kind TEXT NOT NULL CHECK (kind IN ('ranked', 'random')),
        pool INTEGER NOT NULL,            -- unread messages when it was drawn
        at REAL NOT NULL
    );
    CREATE INDEX draws_message ON draws(message_seq);
    """,
    # 3: models retrained on the project's labels live in the project, so that it stays one file
    """
    CREATE TABLE model_files (
        version INTEGER PRIMARY KEY REFERENCES model_versions(version),
        model BLOB NOT NULL               -- joblib bytes; model_versions.card holds their sha256
    );
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


class ProjectError(InfluenceError):
    pass


def connect(path: str | Path, create: bool = False) -> sqlite3.Connection:
    """Open a project (creating it when asked), migrated to the current schema."""
    path = Path(path)
    if not create and not path.exists():
        raise ProjectError(f"No review project at {path}; create one with `influence review init`")
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None)  # transactions are explicit
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # a killed process loses nothing committed in WAL mode
        db.execute("PRAGMA foreign_keys=ON")
        _migrate(db, path)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise ProjectError(f"{path} is not a review project (or is damaged): {exc}") from exc
    return db


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{path} was made by a newer influence (schema {version}, this one knows {SCHEMA_VERSION})"
        )
    for k in range(version, SCHEMA_VERSION):
        with transaction(db):
            for statement in _statements(MIGRATIONS[k]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version={k + 1}")
            _audit(db, "influence", "migrate", {"from": k, "to": k + 1})


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, triggers kept whole (their bodies hold semicolons)."""
    buf: list[str] = []
    for line in script.splitlines():
        line = line.split("--", 1)[0].rstrip()
        if not line.strip():
            continue
        buf.append(line)
        text = "\n".join(buf).strip()
        trigger = text.upper().startswith("CREATE TRIGGER")
        if text.endswith(";") and (not trigger or text.upper().endswith("END;")):
            yield text
            buf = []
    if buf:
        yield "\n".join(buf)


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _audit(db: sqlite3.Connection, actor: str, action: str, detail: dict[str, Any]) -> None:
    db.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
               (time.time(), actor, action, json.dumps(detail, ensure_ascii=False)))  # fmt: skip


# ------------------------------------------------------------------------------ messages and scores


def model_version(db: sqlite3.Connection, card: dict[str, Any], threshold: float | None, source: str) -> int:
    """The project's version number for this model (by its sha256), added when new."""
    sha = card.get("sha256")
    for row in db.execute("SELECT version, card FROM model_versions"):
        if json.loads(row["card"]).get("sha256") == sha:
            return int(row["version"])
    with transaction(db):
        cur = db.execute(
            "INSERT INTO model_versions (created_at, source, threshold, card) VALUES (?, ?, ?, ?)",
            (time.time(), source, threshold, json.dumps(card)),
        )
        _audit(db, "influence", "model", {"version": cur.lastrowid, "sha256": sha, "source": source})
    return int(cur.lastrowid)


def message_of(row: sqlite3.Row) -> Message:
    """The `Message` a `messages` row was made from (what the pipeline reads is the same text)."""
    return Message(
        id=row["id"], source=row["source"], page=row["page"], bates=row["bates"], line=row["line"],
        offset=row["offset"], from_=row["sender"], to=row["recipients"], cc=row["cc"], date=row["date"],
        subject=row["subject"], message_id=row["message_id"], in_reply_to=row["in_reply_to"],
        references=row["references"], body=row["body"], quoted=row["quoted"],
        attachments=json.loads(row["attachments"] or "[]"), thread_id=row["thread_id"], quotes=row["quotes"],
        duplicate_of=row["duplicate_of"], error=row["error"],
    )  # fmt: skip


def latest_version(db: sqlite3.Connection) -> int | None:
    return db.execute("SELECT MAX(version) FROM model_versions").fetchone()[0]


def known_ids(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT id FROM messages")}


def add_rows(db: sqlite3.Connection, rows: Iterable[ScoredRow], version: int,
             on_batch: Callable[[int], None] | None = None) -> int:  # fmt: skip
    """Add scored messages, a batch per transaction: after a kill, the project holds whole batches
    (every message with its score) and a re-run adds the rest. Returns the number added."""
    added = 0
    it = iter(rows)
    while batch := list(islice(it, BATCH)):
        with transaction(db):
            for row in batch:
                seq = _insert_message(db, row.message)
                if seq is None:
                    continue  # already in the project
                db.execute(
                    "INSERT INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (seq, version, row.score, None if row.flagged is None else int(row.flagged),
                     row.gift_offer, row.promotion_request, json.dumps([e.to_dict() for e in row.evidence]),
                     json.dumps(row.vendors)),
                )  # fmt: skip
                added += 1
            _audit(db, "influence", "add", {"messages": [r.message.id for r in batch], "version": version})
        if on_batch:
            on_batch(added)
    return added


def _insert_message(db: sqlite3.Connection, m: Message) -> int | None:
    cur = db.execute(
        'INSERT OR IGNORE INTO messages (id, source, page, bates, line, "offset", sender, recipients, cc, '
        'date, subject, message_id, in_reply_to, "references", body, quoted, attachments, thread_id, '
        f"quotes, duplicate_of, error, added_at) VALUES ({', '.join('?' * 22)})",
        (m.id, m.source, m.page, m.bates, m.line, m.offset, m.from_, m.to, m.cc, m.date, m.subject,
         m.message_id, m.in_reply_to, m.references, m.body, m.quoted, json.dumps(m.attachments),
         m.thread_id, m.quotes, m.duplicate_of, m.error, time.time()),
    )  # fmt: skip
    return cur.lastrowid if cur.rowcount else None


# ------------------------------------------------------------------------------ labels


def add_label(
    db: sqlite3.Connection, message_id: str, label: str, reviewer: str, note: str | None = None
) -> int:
    """Record a judgement (or an undo of the reviewer's latest one); committed before it returns."""
    if label not in (*LABELS, UNDO):
        raise ProjectError(f"Unknown label {label!r}; use one of {', '.join(LABELS)}")
    row = db.execute("SELECT seq FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise ProjectError(f"No message {message_id!r} in this project")
    with transaction(db):
        cur = db.execute("INSERT INTO labels (message_seq, label, reviewer, note, at) VALUES (?, ?, ?, ?, ?)",
                         (row["seq"], label, reviewer, note, time.time()))  # fmt: skip
        _audit(db, reviewer, "label", {"message": message_id, "label": label, "note": note})
    return int(cur.lastrowid)


def _standing(db: sqlite3.Connection) -> dict[str, list[tuple[int, str, str]]]:
    """Each message's judgements still standing, oldest first, as (label row, label, reviewer):
    the label log replayed, an undo taking back the latest. Keys are in first-judged order."""
    stacks: dict[str, list[tuple[int, str, str]]] = {}
    query = ("SELECT m.id, l.n, l.label, l.reviewer FROM labels l JOIN messages m ON m.seq = l.message_seq "
             "ORDER BY l.n")  # fmt: skip
    for mid, n, label, who in db.execute(query):
        stack = stacks.setdefault(mid, [])
        if label == UNDO:
            if stack:
                stack.pop()
        else:
            stack.append((n, label, who))
    return stacks


def undo_last(db: sqlite3.Connection, reviewer: str) -> str | None:
    """Withdraw `reviewer`'s most recent standing judgement (the label an undo would take back
    first); returns that message's id, or None when they have nothing left to undo."""
    tops = [(stack[-1][0], mid) for mid, stack in _standing(db).items() if stack and stack[-1][2] == reviewer]
    if not tops:
        return None
    mid = max(tops)[1]
    add_label(db, mid, UNDO, reviewer)
    return mid


def current_labels(db: sqlite3.Connection) -> dict[str, str]:
    """Each labelled message's standing label: its latest, an undo taking back the one before; in
    the order the messages were first judged (the reading order)."""
    return {mid: stack[-1][1] for mid, stack in _standing(db).items() if stack}


@dataclass
class Review:
    """Where a review stands for the stopping rules: what was read, what is left, and the random
    draws among the reads (the sample that bounds what is left)."""

    unread: int
    random_judged: int
    knee: Any  # influence.stopping.Verdict
    sample: Any


@dataclass
class Status:
    messages: int
    errors: int
    scored: int
    flagged: int
    labelled: int
    positives: int
    model_versions: int
    knee: str = ""  # the knee stopping rule's verdict on the review so far
    sample: str = ""  # the sample-based rule's
    review: Review | None = None  # the rules' full verdicts, for the review app

    def line(self) -> str:
        line = (f"{self.messages} messages ({self.errors} unreadable), {self.scored} scored, {self.flagged} "
                f"flagged; {self.labelled} labelled, {self.positives} positive; "
                f"{self.model_versions} model version(s)")  # fmt: skip
        rules = [f"{name} rule: {v}" for name, v in (("knee", self.knee), ("sample", self.sample)) if v]
        return "\n".join([line, *rules])


def status(db: sqlite3.Connection) -> Status:
    latest = latest_version(db)
    one = lambda q, *a: db.execute(q, a).fetchone()[0]  # noqa: E731
    labels = current_labels(db)
    state = review_state(db, labels) if labels else None  # nothing read: no rule to ask yet
    return Status(
        messages=one("SELECT COUNT(*) FROM messages"),
        errors=one("SELECT COUNT(*) FROM messages WHERE error IS NOT NULL"),
        scored=one("SELECT COUNT(*) FROM scores WHERE version = ? AND score IS NOT NULL", latest),
        flagged=one("SELECT COUNT(*) FROM scores WHERE version = ? AND flagged = 1", latest),
        labelled=len(labels),
        positives=sum(v == "positive" for v in labels.values()),
        model_versions=one("SELECT COUNT(*) FROM model_versions"),
        knee=_verdict(state.knee) if state else "",
        sample=_verdict(state.sample) if state else "",
        review=state,
    )


def review_state(db: sqlite3.Connection, labels: dict[str, str]) -> Review:
    from influence.stopping import knee, sample_bound

    random_reads = [labels.get(r[0]) for r in db.execute(
        "SELECT DISTINCT m.id FROM draws d JOIN messages m ON m.seq = d.message_seq WHERE d.kind = 'random'"
    )]  # fmt: skip
    judged = [v for v in random_reads if v in ("positive", "negative")]
    unread = db.execute(
        "SELECT COUNT(*) FROM messages WHERE error IS NULL AND duplicate_of IS NULL"
        " AND seq NOT IN (SELECT message_seq FROM labels)"
    ).fetchone()[0]
    found = sum(v == "positive" for v in labels.values())
    return Review(
        unread=unread,
        random_judged=len(judged),
        knee=knee([v == "positive" for v in labels.values()]),
        sample=sample_bound(found, unread, sum(v == "positive" for v in judged), len(judged)),
    )


def _verdict(v: Any) -> str:
    return ("stop: " if v.stop else "keep reading: ") + v.reason


def open_project(path: str | Path, create: bool = False) -> closing[sqlite3.Connection]:
    return closing(connect(path, create=create))
