"""`influence review serve`: the local review app over a project file.

Why local and locked down: a project holds a records release and a reporter's judgements. The
server binds to 127.0.0.1, every request must carry the random token printed at start (in the URL
once, then a same-site cookie or a header), the Host header must be the local address (no DNS
rebinding), pages make no external requests (a strict Content-Security-Policy with a nonce), and the
token never leaks in a Referer. One server per project at a time: a second `serve` is refused by an
OS file lock that dies with its process, so a killed server never leaves a stale lock behind.

Every label is committed before its request returns; retraining runs in a background thread and
swaps the ranking in one transaction (`influence.learning`), so killing the server at any moment
loses no acknowledged label and never leaves half a ranking.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

from influence.errors import InfluenceError
from influence.learning import Learner, Retrainer, project_check
from influence.project import (
    LABELS,
    add_label,
    connect,
    current_labels,
    latest_version,
    message_of,
    review_state,
    status,
    undo_last,
)
from influence.queue import next_messages

TOKEN_COOKIE = "influence_token"
TOKEN_HEADER = "x-influence-token"
TEMPLATES = Path(__file__).resolve().parent / "reports" / "templates"


class ServeError(InfluenceError):
    pass


class ProjectLock:
    """An exclusive, non-blocking lock beside the project file, held while a server runs."""

    def __init__(self, project: Path) -> None:
        self.path = project.with_name(project.name + ".serve.lock")
        self._fh: Any = None

    def acquire(self, url: str = "") -> None:
        fh = open(self.path, "a+")  # noqa: SIM115 - held open for the server's lifetime
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            fh.close()
            raise ServeError(
                f"{self.path.name[: -len('.serve.lock')]} is already being served"
                + (f" ({holder})" if holder else "")
                + "; open that server's address, or stop it first. Two servers on one project could "
                "hand out the same messages and retrain over each other."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, {url.split('?')[0]}")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


# ------------------------------------------------------------------------------ what the page shows


def _segments(text: str, start: int, end: int, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`text[start:end]` cut into plain and highlighted pieces (evidence offsets are into `text`)."""
    marks = sorted((max(s["start"], start), min(s["end"], end), s["label"]) for s in spans
                   if s["end"] > start and s["start"] < end)  # fmt: skip
    out, at = [], start
    for a, b, label in marks:
        if a < at:  # overlapping spans: the earlier one wins
            a = at
        if b <= a:
            continue
        if a > at:
            out.append({"text": text[at:a]})
        out.append({"text": text[a:b], "mark": label})
        at = b
    if at < end:
        out.append({"text": text[at:end]})
    return out


def message_view(db: sqlite3.Connection, message_id: str) -> dict[str, Any]:
    row = db.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        raise ServeError(f"No message {message_id!r} in this project")
    m = message_of(row)
    version = latest_version(db)
    score = db.execute(
        "SELECT * FROM scores WHERE message_seq = ? AND version = ?", (row["seq"], version)
    ).fetchone()
    evidence = json.loads(score["evidence"] or "[]") if score else []
    text = m.text
    body_start = len(m.subject) + 2 if m.subject else 0
    quote_start = m.quote_start if m.quote_start is not None else len(text)
    labels = current_labels(db)
    canonical = m.duplicate_of or m.id

    def brief(r: sqlite3.Row) -> dict[str, Any]:
        return {"id": r["id"], "subject": r["subject"], "sender": r["sender"], "date": r["date"],
                "label": labels.get(r["id"]), "duplicate_of": r["duplicate_of"]}  # fmt: skip

    thread = []
    if m.thread_id:
        thread = [brief(r) for r in db.execute(
            "SELECT * FROM messages WHERE thread_id = ? AND id != ? ORDER BY date, seq",
            (m.thread_id, m.id))]  # fmt: skip
    copies = [brief(r) for r in db.execute(
        "SELECT * FROM messages WHERE (duplicate_of = ? OR id = ?) AND id != ? ORDER BY seq",
        (canonical, canonical, m.id))]  # fmt: skip
    history = db.execute(
        "SELECT label, reviewer, note, at FROM labels WHERE message_seq = ? ORDER BY n", (row["seq"],)
    ).fetchall()
    return {
        "id": m.id, "from": m.from_, "to": m.to, "cc": m.cc, "date": m.date, "subject": m.subject,
        "source": m.source, "page": m.page, "bates": m.bates, "attachments": m.attachments,
        "score": None if score is None else score["score"],
        "flagged": None if score is None else score["flagged"],
        "version": version,
        "label": labels.get(m.id), "inherited": labels.get(canonical) if m.duplicate_of else None,
        "duplicate_of": m.duplicate_of,
        "evidence": [{"label": e["label"], "text": e["text"], "where": e.get("where", "body")}
                     for e in evidence],
        "body": _segments(text, body_start, quote_start, evidence),
        "quoted": _segments(text, quote_start, len(text), evidence) if m.quoted else [],
        "thread": thread, "copies": copies,
        "history": [dict(h) for h in history],
    }  # fmt: skip


def progress_view(db: sqlite3.Connection, retrainer: Retrainer | None) -> dict[str, Any]:
    st = status(db)
    state = st.review or review_state(db, {})
    sample = state.sample
    return {
        "messages": st.messages, "errors": st.errors, "labelled": st.labelled, "positives": st.positives,
        "unread": state.unread, "random_draws": state.random_judged,
        "remaining": None if sample.remaining is None else [round(x, 1) for x in sample.remaining],
        "recall": sample.recall, "recall_low": sample.recall_low,
        "rules": [asdict(state.knee), asdict(sample)],
        "version": latest_version(db), "versions": st.model_versions,
        "check": project_check(db),
        "retrain": None if retrainer is None else {
            "running": retrainer.running, "error": retrainer.last_error, "every": retrainer.every,
            "log": retrainer.log[-3:],
        },
    }  # fmt: skip


def search(
    db: sqlite3.Connection, q: str = "", label: str = "", flagged: str = "", limit: int = 50
) -> list[dict]:
    """Messages whose sender, subject or text contain `q`, filtered by label and flag, best first."""
    where, args = ["m.error IS NULL"], []
    if q:
        where.append(
            "(m.subject LIKE ? OR m.sender LIKE ? OR m.body LIKE ? OR m.quoted LIKE ? OR m.bates LIKE ?)"
        )
        args += [f"%{q}%"] * 5
    if flagged in ("0", "1"):
        where.append("s.flagged = ?")
        args.append(int(flagged))
    rows = db.execute(
        "SELECT m.id, m.subject, m.sender, m.date, m.page, m.bates, s.score, s.flagged FROM messages m "
        "LEFT JOIN scores s ON s.message_seq = m.seq "
        "AND s.version = (SELECT MAX(version) FROM model_versions) "
        f"WHERE {' AND '.join(where)} ORDER BY s.score DESC, m.seq LIMIT ?",
        (*args, limit * 20 if label else limit),
    ).fetchall()
    labels = current_labels(db)
    out = [dict(r) | {"label": labels.get(r["id"])} for r in rows]
    if label == "unread":
        out = [r for r in out if r["label"] is None]
    elif label:
        out = [r for r in out if r["label"] == label]
    return out[:limit]


# ------------------------------------------------------------------------------ the app


def create_app(
    project: Path,
    token: str,
    *,
    reviewer: str,
    retrainer: Retrainer | None = None,
    explore: float = 0.1,
    retrain_off: str | None = None,
) -> Any:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))

    def db() -> sqlite3.Connection:
        return connect(project)

    def authorised(request: Request) -> bool:
        given = (request.headers.get(TOKEN_HEADER) or request.cookies.get(TOKEN_COOKIE)
                 or request.query_params.get("token") or "")  # fmt: skip
        return secrets.compare_digest(given.encode(), token.encode())

    def guard(handler: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            if not authorised(request):
                return JSONResponse({"error": "missing or wrong access token: open the address "
                                     "`influence review serve` printed"}, status_code=403)  # fmt: skip
            try:
                response = await handler(request)
            except (InfluenceError, ValueError, KeyError) as exc:
                response = JSONResponse({"error": str(exc)}, status_code=400)
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["X-Frame-Options"] = "DENY"
            response.headers["Cache-Control"] = "no-store"
            return response

        return wrapped

    async def page(request: Request) -> Response:
        nonce = secrets.token_urlsafe(12)
        html = env.get_template("app.html").render(
            nonce=nonce, project=project.name, reviewer=reviewer, labels=LABELS,
            css=(TEMPLATES / "app.css").read_text(), js=(TEMPLATES / "app.js").read_text(),
        )  # fmt: skip
        response = HTMLResponse(html)
        response.headers["Content-Security-Policy"] = (
            f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
            "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'"
        )
        if request.query_params.get("token"):
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
        return response

    async def body(request: Request) -> dict[str, Any]:
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def run(fn: Any, *args: Any) -> Any:
        from starlette.concurrency import run_in_threadpool

        def job() -> Any:
            conn = db()
            try:
                return fn(conn, *args)
            finally:
                conn.close()

        return run_in_threadpool(job)

    async def api_next(request: Request) -> Response:
        def pick(conn: sqlite3.Connection) -> dict[str, Any] | None:
            handed = next_messages(conn, 1, explore)
            if not handed:
                return None
            return message_view(conn, handed[0].id) | {"kind": handed[0].kind}

        return JSONResponse({"message": await run(pick)})

    async def api_message(request: Request) -> Response:
        return JSONResponse({"message": await run(message_view, request.path_params["id"])})

    async def api_label(request: Request) -> Response:
        data = await body(request)
        label, note = str(data.get("label", "")), (data.get("note") or None)

        def label_it(conn: sqlite3.Connection) -> dict[str, Any]:
            n = add_label(conn, str(data["id"]), label, reviewer, note)
            count = len(current_labels(conn))
            started = bool(retrainer and retrainer.due(count) and retrainer.start(count))
            return {"n": n, "labelled": count, "retraining": started}

        return JSONResponse(await run(label_it))

    async def api_undo(request: Request) -> Response:
        def undo(conn: sqlite3.Connection) -> dict[str, Any]:
            mid = undo_last(conn, reviewer)
            return {"undone": mid, "message": message_view(conn, mid) if mid else None}

        return JSONResponse(await run(undo))

    async def api_progress(request: Request) -> Response:
        view = await run(progress_view, retrainer)
        if retrainer is None:
            why = f"off: {retrain_off or 'no corpus'}"
            view["retrain"] = {"running": False, "error": why, "every": 0, "log": []}
        return JSONResponse(view)

    async def api_search(request: Request) -> Response:
        p = request.query_params
        return JSONResponse(
            {"results": await run(search, p.get("q", ""), p.get("label", ""), p.get("flagged", ""))}
        )

    async def api_retrain(request: Request) -> Response:
        if retrainer is None:
            raise ServeError(
                "retraining is off for this server (started with --retrain-every 0 and no corpus)"
            )

        def start(conn: sqlite3.Connection) -> dict[str, Any]:
            return {"started": retrainer.start(len(current_labels(conn))), "running": True}

        return JSONResponse(await run(start))

    routes = [
        Route("/", guard(page)),
        Route("/api/next", guard(api_next), methods=["POST"]),
        Route("/api/message/{id:path}", guard(api_message)),
        Route("/api/label", guard(api_label), methods=["POST"]),
        Route("/api/undo", guard(api_undo), methods=["POST"]),
        Route("/api/progress", guard(api_progress)),
        Route("/api/search", guard(api_search)),
        Route("/api/retrain", guard(api_retrain), methods=["POST"]),
    ]
    hosts = ["127.0.0.1", "localhost", "::1", "[::1]"]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])


def serve(
    project: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    reviewer: str,
    corpus: list[Path] | None = None,
    retrain_every: int = 25,
    explore: float = 0.1,
    on_ready: Any = None,
) -> None:
    """Run the app until interrupted; `on_ready(url)` is called once it listens."""
    import socket

    import uvicorn

    from influence.learning import corpus_paths

    connect(project).close()  # a clear error now if it is not a project
    from influence.learning import LearningError

    try:
        retrainer: Retrainer | None = Retrainer(project, Learner(corpus_paths(corpus)), every=retrain_every)
        off = None
    except LearningError as exc:
        if corpus:
            raise
        retrainer, off = None, str(exc)  # review still works; the panel says why it does not learn
    token = secrets.token_urlsafe(24)
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections made as soon as the address is printed wait for the server
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{sock.getsockname()[1]}/?token={token}"
    lock = ProjectLock(project)
    lock.acquire(url)
    try:
        app = create_app(project, token, reviewer=reviewer, retrainer=retrainer, explore=explore,
                         retrain_off=off)  # fmt: skip
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        server = uvicorn.Server(config)
        if on_ready:
            on_ready(url)
        server.run(sockets=[sock])
    finally:
        lock.release()
