"""The review app as a reviewer uses it: a real server process, driven in headless Chromium with
the keyboard, checked against the project file and its export; and the server's guarantees (token,
local host only, one server per project, nothing lost when it is killed)."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from influence import project as proj
from influence.interop import export
from influence.model import load_model
from influence.review import init
from tests import browser
from tests.conftest import ROOT, SAMPLE_DUMP


@pytest.fixture(scope="module")
def base_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = load_model()
    model.use_rerank = False
    path = tmp_path_factory.mktemp("review") / "base.db"
    init(path, [SAMPLE_DUMP], model=model, workers=1)
    return path


@pytest.fixture
def project(base_project: Path, tmp_path: Path) -> Path:
    path = tmp_path / "review.db"
    src = sqlite3.connect(base_project)
    dst = sqlite3.connect(path)
    src.backup(dst)
    src.close()
    dst.close()
    return path


class Server:
    def __init__(self, project: Path, *args: str) -> None:
        cmd = [sys.executable, "-m", "influence.cli", "review", "serve", "-p", str(project),
               "--reviewer", "dana", *args]  # fmt: skip
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
        self.stderr: list[str] = []
        deadline = time.monotonic() + 60
        self.url = ""
        while time.monotonic() < deadline and not self.url:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.stderr.append(line)
            if re.match(r"http://127\.0\.0\.1:\d+/\?token=", line):
                self.url = line.strip()
        if not self.url:
            self.proc.kill()
            raise AssertionError("server did not start: " + "".join(self.stderr) + self.proc.stderr.read())
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr), daemon=True).start()
        self.base = self.url.split("/?")[0]
        self.token = self.url.split("token=")[1]

    def call(
        self, path: str, body: dict | None = None, token: str | None = "", host: str | None = None
    ) -> dict:
        req = urllib.request.Request(self.base + path, method="GET" if body is None else "POST",
                                     data=None if body is None else json.dumps(body).encode())  # fmt: skip
        req.add_header("content-type", "application/json")
        if token is not None:
            req.add_header("x-influence-token", token or self.token)
        if host:
            req.add_header("Host", host)
        with urllib.request.urlopen(req, timeout=30) as res:
            return json.loads(res.read())

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def serve(project: Path) -> Iterator:
    started: list[Server] = []

    def start(*args: str) -> Server:
        started.append(Server(project, *args))
        return started[-1]

    yield start
    for s in started:
        s.stop()


SHOWN = "e => e && e.dataset.id"  # the id of the message on screen
NEW_VERSION = "p => p.dataset.version > 1 && p.dataset.running === '0' && +p.dataset.version"


def _next(page: browser.Page, old: str) -> str:
    """Wait until a message other than `old` is on screen; its id."""
    return page.wait(f"(id => id !== {json.dumps(old)} && id)(({SHOWN})(document.querySelector('#subject')))")


def _labels(path: Path) -> dict[str, str]:
    with proj.open_project(path) as db:
        return proj.current_labels(db)


@pytest.mark.skipif(not browser.available(), reason="headless Chromium is not installed")
def test_reviewer_labels_with_the_keyboard_undoes_and_sees_the_queue_rerank(
    project: Path, serve, tmp_path: Path
):
    server = serve("--retrain-every", "3", "--explore", "0")
    with browser.Chromium() as chrome:
        page = chrome.open(server.url)
        first = page.wait(f"({SHOWN})(document.querySelector('#subject'))")
        assert page.eval("location.search") == ""  # the token left the address bar
        page.press("y")
        second = _next(page, first)
        page.press("n")
        third = _next(page, second)
        assert len({first, second, third}) == 3
        page.press("u")  # the third label: retraining starts in the background
        _next(page, third)
        page.press("z")  # undo the unsure: that message comes back, unlabelled
        page.wait(f"({SHOWN})(document.querySelector('#subject')) === {json.dumps(third)}")
        assert _labels(project) == {first: "positive", second: "negative"}
        page.press("t")
        page.type("asked about cameras for sign-ups")
        page.press("Escape")  # leave the note field; the note stays typed
        page.press("n")
        _next(page, third)
        # the retrain finishes, a new model version ranks the queue
        version = page.wait(f"({NEW_VERSION})(document.querySelector('#progress'))", timeout=180)
        assert version >= 2
        page.press("Escape")  # back to the queue: the next hand-out comes from the new ranking
        page.wait(f"document.querySelector('.badges').textContent.includes('model v{version}')")
        top = page.eval("document.querySelector('#subject').dataset.id")
        with proj.open_project(project) as db:
            best = db.execute(
                "SELECT m.id FROM messages m JOIN scores s ON s.message_seq = m.seq AND s.version = ? "
                "WHERE m.error IS NULL AND m.duplicate_of IS NULL "
                "AND m.seq NOT IN (SELECT message_seq FROM labels) "
                "ORDER BY s.score DESC, m.seq LIMIT 1", (version,)).fetchone()[0]  # fmt: skip
            card = json.loads(
                db.execute("SELECT card FROM model_versions WHERE version = ?", (version,)).fetchone()[0]
            )
        assert top == best
        assert card["training_data"]["project_labels"] >= 2
        # search finds a message by a word of its text, and opens it
        page.press("/")
        page.type("camera")
        page.press("Enter")
        hits = page.wait("document.querySelectorAll('#results li a').length")
        assert hits >= 1
        page.eval("document.querySelector('#results li a').click()")
        page.wait("document.querySelector('.badges').textContent.includes('opened')")
        page.screenshot(os.environ.get("INFLUENCE_SCREENSHOT") or tmp_path / "app.png")
        assert not page.errors(), page.errors()
        assert all(u.startswith(server.base) or u.startswith("data:") for u in page.requests()), (
            page.requests()
        )
    labels = _labels(project)
    assert labels == {first: "positive", second: "negative", third: "negative"}
    with proj.open_project(project) as db:
        notes = [r[0] for r in db.execute("SELECT note FROM labels WHERE note IS NOT NULL")]
        out = tmp_path / "labels.jsonl"
        assert export(db, "corpus", out) == 3
    assert notes == ["asked about cameras for sign-ups"]
    exported = {
        json.loads(line)["id"]: json.loads(line)["promotion_for_gifts"]
        for line in out.read_text().splitlines()
    }
    assert exported == {first: 1, second: 0, third: 0}


def test_the_server_refuses_requests_without_its_token_or_from_another_host(serve) -> None:
    server = serve("--retrain-every", "0")
    assert server.call("/api/progress")["messages"] >= 50
    for token in (None, "wrong-token"):
        with pytest.raises(urllib.error.HTTPError) as exc:
            server.call("/api/progress", token=token)
        assert exc.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as exc:  # a page cannot be read through a rebound name
        server.call("/api/progress", host="attacker.example.com")
    assert exc.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(server.base + "/", timeout=10)
    assert exc.value.code == 403


def test_a_second_server_on_the_same_project_is_refused_until_the_first_dies(project: Path, serve) -> None:
    first = serve("--retrain-every", "0")
    second = subprocess.run([sys.executable, "-m", "influence.cli", "review", "serve", "-p", str(project)],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert second.returncode != 0
    assert "already being served" in second.stderr and f"pid {first.proc.pid}" in second.stderr
    first.stop(signal.SIGKILL)  # the lock dies with its process: no stale lock to clean by hand
    again = serve("--retrain-every", "0")
    assert again.call("/api/progress")["messages"] >= 50


def test_killing_the_server_mid_retrain_and_mid_label_loses_no_label(project: Path, serve) -> None:
    server = serve("--retrain-every", "0", "--explore", "0")
    acknowledged: list[str] = []
    for i in range(6):
        m = server.call("/api/next", {})["message"]
        server.call("/api/label", {"id": m["id"], "label": "positive" if i % 2 else "negative"})
        acknowledged.append(m["id"])
    assert server.call("/api/retrain", {})["started"]
    while not server.call("/api/progress")["retrain"]["running"]:
        time.sleep(0.05)
    stop = threading.Event()

    def keep_labelling() -> None:  # labels keep arriving while the retrain runs, until the kill
        while not stop.is_set():
            try:
                m = server.call("/api/next", {})["message"]
                if m is None:
                    return
                server.call("/api/label", {"id": m["id"], "label": "negative"})
                acknowledged.append(m["id"])
            except (OSError, urllib.error.URLError):
                return

    t = threading.Thread(target=keep_labelling)
    t.start()
    time.sleep(1.5)
    server.stop(signal.SIGKILL)
    stop.set()
    t.join(10)
    with sqlite3.connect(project) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        messages = db.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
        per_version = db.execute("SELECT version, COUNT(*) FROM scores GROUP BY version").fetchall()
        files = db.execute("SELECT COUNT(*) FROM model_files").fetchone()[0]
    assert set(acknowledged) <= set(_labels(project))  # every acknowledged label is in the file
    assert len(_labels(project)) >= 6
    # a version is all there (a score for every readable message, its model file) or not there at all
    assert all(n == messages for _, n in per_version) and files == len(per_version) - 1
    restarted = serve("--retrain-every", "0")
    assert restarted.call("/api/progress")["labelled"] == len(_labels(project))
