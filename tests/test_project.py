"""The review project file: adding a dump (again, grown, after a kill), labels and the audit log
that cannot be rewritten, schema versions."""

from __future__ import annotations

import json
import mailbox
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from influence import project as proj
from influence.model import load_model
from influence.review import init
from tests.conftest import SAMPLE_DUMP, labeled_rows
from tests.test_cli import invoke


@pytest.fixture(scope="module")
def first_pass():
    model = load_model()
    model.use_rerank = False
    return model


def test_init_adds_a_dump_once_and_then_only_what_is_new(tmp_path: Path, first_pass) -> None:
    dump = tmp_path / "dump"
    shutil.copytree(SAMPLE_DUMP, dump)
    db_path = tmp_path / "review.db"
    added, state = init(db_path, [dump], model=first_pass, workers=1)
    assert added == state.messages == state.scored + state.errors >= 50
    again, state2 = init(db_path, [dump], model=first_pass, workers=1)
    assert again == 0 and state2.messages == state.messages
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "rep@vendor.example.com", "lt@pd.example.gov", "Late addition"
    msg.set_content("Ten more sign-ups and the two extra cameras are yours, free.")
    (dump / "late.eml").write_bytes(msg.as_bytes())
    grown, state3 = init(db_path, [dump], model=first_pass, workers=1)
    assert grown == 1 and state3.messages == state.messages + 1
    with proj.open_project(db_path) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq")]
        assert len(ids) == len(set(ids)) and ids[-1] == str(dump / "late.eml")
        assert db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == len(ids)
        actions = [r[0] for r in db.execute("SELECT action FROM audit ORDER BY n")]
        assert actions[: proj.SCHEMA_VERSION + 2] == ["migrate"] * proj.SCHEMA_VERSION + ["model", "init"]
        assert actions.count("init") == 3


def test_labels_are_append_only_and_undo_takes_back_the_latest(tmp_path: Path, first_pass) -> None:
    db_path = tmp_path / "review.db"
    init(db_path, [SAMPLE_DUMP], model=first_pass, workers=1)
    with proj.open_project(db_path) as db:
        first, second = (r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq LIMIT 2"))
        proj.add_label(db, first, "unsure", "dana")
        proj.add_label(db, first, "positive", "dana", note="cameras for sign-ups")
        proj.add_label(db, second, "negative", "dana")
        assert proj.current_labels(db) == {first: "positive", second: "negative"}
        proj.add_label(db, first, "undo", "dana")
        assert proj.current_labels(db) == {first: "unsure", second: "negative"}
        with pytest.raises(proj.ProjectError, match="Unknown label"):
            proj.add_label(db, first, "maybe", "dana")
        with pytest.raises(proj.ProjectError, match="No message"):
            proj.add_label(db, "not-an-id", "positive", "dana")
        for sql in ("UPDATE labels SET label = 'negative'", "DELETE FROM labels", "DELETE FROM audit"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(sql)
        notes = [r[0] for r in db.execute("SELECT detail FROM audit WHERE action = 'label'")]
        assert len(notes) == 4 and "cameras for sign-ups" in notes[1]


def test_cli_review_init_label_and_status(tmp_path: Path) -> None:
    db_path = tmp_path / "p.db"
    result = invoke("review", "init", SAMPLE_DUMP, "-p", db_path, "--first-pass-only", "--workers", "1")
    assert result.exit_code == 0 and "added 50 messages" in result.output
    with proj.open_project(db_path) as db:
        first = db.execute("SELECT id FROM messages ORDER BY seq LIMIT 1").fetchone()[0]
    result = invoke("review", "label", first, "positive", "-p", db_path, "--reviewer", "kim", "--note", "x")
    assert result.exit_code == 0
    shown = invoke("review", "status", "-p", db_path).output
    assert "1 labelled, 1 positive" in shown and "knee rule: keep reading" in shown
    missing = invoke("review", "status", "-p", tmp_path / "none.db")
    assert missing.exit_code == 2 and "No review project" in missing.output


def test_a_project_from_a_newer_release_is_refused_and_a_bare_file_is_migrated(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as db:
        db.execute(f"PRAGMA user_version={proj.SCHEMA_VERSION + 1}")
    with pytest.raises(proj.ProjectError, match="newer influence"):
        proj.connect(newer)
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).close()
    with proj.open_project(bare) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == proj.SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(proj.ProjectError, match="not a review project"):
        proj.connect(junk)


def _mbox(path: Path, n: int) -> None:
    rows = labeled_rows()
    box = mailbox.mbox(str(path))
    for i in range(n):
        msg = EmailMessage()
        msg["From"] = "Dana Reyes <dreyes@vendor.example.com>"
        msg["To"] = "records@pd.example.gov"
        msg["Subject"] = f"message {i}"
        msg.set_content(rows[i % len(rows)]["text"])
        box.add(msg)
    box.flush()


def _count(db_path: Path) -> int:
    try:
        with sqlite3.connect(db_path, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    except sqlite3.DatabaseError:
        return 0


def test_init_killed_mid_run_leaves_whole_batches_and_a_rerun_finishes(tmp_path: Path) -> None:
    dump, db_path = tmp_path / "big.mbox", tmp_path / "review.db"
    _mbox(dump, 1200)
    cmd = [sys.executable, "-c", "from influence.cli import main; main()", "review", "init", str(dump),
           "-p", str(db_path), "--first-pass-only", "--workers", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while _count(db_path) < proj.BATCH and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with proj.open_project(db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        held = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        assert 0 < held < 1200 and held % proj.BATCH == 0  # whole batches, none half-written
        assert db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == held
    rerun = subprocess.run(cmd, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"added {1200 - held} messages" in rerun.stderr
    with proj.open_project(db_path) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq")]
    assert ids == [f"{dump}#{i}" for i in range(1, 1201)]


LABELLER = """
import sys
from influence import project
with project.open_project(sys.argv[1]) as db:
    ids = [r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq")]
    for i in range(100000):
        n = project.add_label(db, ids[i % len(ids)], ("positive", "negative", "unsure")[i % 3], "kim")
        print(n, flush=True)
"""


def test_labelling_killed_mid_stream_loses_no_acknowledged_label(tmp_path: Path, first_pass) -> None:
    db_path = tmp_path / "review.db"
    init(db_path, [SAMPLE_DUMP], model=first_pass, workers=1)
    proc = subprocess.Popen([sys.executable, "-c", LABELLER, str(db_path)], stdout=subprocess.PIPE, text=True)
    acknowledged = []
    assert proc.stdout is not None
    for line in proc.stdout:
        acknowledged.append(int(line))
        if len(acknowledged) == 300:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    with proj.open_project(db_path) as db:
        stored = {r[0] for r in db.execute("SELECT n FROM labels")}
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert set(acknowledged) <= stored


@pytest.mark.parametrize("fmt", ["corpus", "prodigy", "label-studio"])
def test_labels_go_out_and_come_back_in_every_format(tmp_path: Path, first_pass, fmt: str) -> None:
    from influence.corpus import load_corpus

    source, target = tmp_path / "a.db", tmp_path / "b.db"
    init(source, [SAMPLE_DUMP], model=first_pass, workers=1)
    init(target, [SAMPLE_DUMP], model=first_pass, workers=1)
    with proj.open_project(source) as db:
        ids = [r[0] for r in db.execute("SELECT id FROM messages ORDER BY seq LIMIT 4")]
        for mid, label in zip(ids, ["positive", "negative", "unsure", "positive"]):
            proj.add_label(db, mid, label, "dana", note=f"why {mid}")
        proj.add_label(db, ids[3], "undo", "dana")
        expected = proj.current_labels(db)
    out = tmp_path / f"labels.{'json' if fmt == 'label-studio' else 'jsonl'}"
    result = invoke("review", "export", "-p", source, "-o", out, "--format", fmt)
    assert result.exit_code == 0, result.output
    result = invoke("review", "import", out, "-p", target)
    assert result.exit_code == 0, result.output
    with proj.open_project(target) as db:
        got = proj.current_labels(db)
        reviewers = {r[0] for r in db.execute("SELECT reviewer FROM labels")}
    if fmt == "corpus":  # training labels only: unsure stays out
        expected = {k: v for k, v in expected.items() if v != "unsure"}
        corpus = load_corpus([out])
        assert [e.labels["promotion_for_gifts"] for e in corpus.examples] == [1, 0]
        assert corpus.examples[0].message.text and corpus.examples[0].split == "train"
    assert got == expected and reviewers == {"dana"}
    if fmt == "prodigy":
        for line in out.read_text().splitlines():
            task = json.loads(line)
            assert all(0 <= s["start"] < s["end"] <= len(task["text"]) for s in task["spans"])


def test_import_skips_records_for_messages_the_project_lacks(tmp_path: Path, first_pass) -> None:
    db_path = tmp_path / "p.db"
    init(db_path, [SAMPLE_DUMP], model=first_pass, workers=1)
    labels = tmp_path / "other.jsonl"
    labels.write_text(json.dumps({"id": "elsewhere-1", "text": "x", "promotion_for_gifts": 1}) + "\n")
    result = invoke("review", "import", labels, "-p", db_path)
    assert result.exit_code == 0 and "imported 0 labels" in result.output and "1 records" in result.output
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = invoke("review", "import", bad, "-p", db_path)
    assert result.exit_code == 2 and "not JSON" in result.output


def test_a_project_made_by_the_first_release_is_migrated_and_keeps_its_labels(
    tmp_path: Path, first_pass, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_path = tmp_path / "old.db"
    with monkeypatch.context() as m:
        m.setattr(proj, "MIGRATIONS", proj.MIGRATIONS[:1])
        m.setattr(proj, "SCHEMA_VERSION", 1)
        init(db_path, [SAMPLE_DUMP], model=first_pass, workers=1)
        with proj.open_project(db_path) as db:
            first = db.execute("SELECT id FROM messages ORDER BY seq LIMIT 1").fetchone()[0]
            proj.add_label(db, first, "positive", "dana")
            assert db.execute("PRAGMA user_version").fetchone()[0] == 1
    with proj.open_project(db_path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == proj.SCHEMA_VERSION
        assert proj.current_labels(db) == {first: "positive"}
        assert db.execute("SELECT COUNT(*) FROM draws").fetchone()[0] == 0


def test_the_queue_hands_out_the_highest_scores_with_random_draws_and_the_sample_rule_counts_them(
    tmp_path: Path, first_pass
) -> None:
    import random

    from influence.queue import next_messages

    db_path = tmp_path / "p.db"
    init(db_path, [SAMPLE_DUMP], model=first_pass, workers=1)
    with proj.open_project(db_path) as db:
        ranked = next_messages(db, 3, explore=0.0)
        scores = [h.score for h in ranked]
        top = db.execute("SELECT MAX(score) FROM scores").fetchone()[0]
        assert scores == sorted(scores, reverse=True) and scores[0] == top
        assert {h.kind for h in ranked} == {"ranked"}
        for h in ranked:
            proj.add_label(db, h.id, "positive", "dana")
        labelled = {h.id for h in ranked}
        drawn = next_messages(db, 10, explore=1.0, rng=random.Random(3))
        assert {h.kind for h in drawn} == {"random"} and not labelled & {h.id for h in drawn}
        for h in drawn:
            proj.add_label(db, h.id, "negative", "dana")
        state = proj.status(db)
        assert "0 of 10 random draws positive" in state.sample and state.sample.startswith("keep reading")
        dupes = {r[0] for r in db.execute("SELECT id FROM messages WHERE duplicate_of IS NOT NULL")}
        rest = next_messages(db, 1000, explore=0.0)
        assert not dupes & {h.id for h in rest}
        assert len(rest) == state.messages - state.errors - len(dupes) - 13
        # handed out but not judged: still unread, so handed out again, highest first
        assert next_messages(db, 1, explore=0.0)[0].id == rest[0].id
