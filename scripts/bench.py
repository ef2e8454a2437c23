"""Benchmark `influence score` against a bare TF-IDF + logistic regression scorer.

Both read the same messages through the same readers, each in its own process so that peak memory
(max RSS) is measured separately. Inputs: the real collections in ../shared when present, plus an
mbox built from the labeled corpus (replicated to --messages), so the benchmark also runs on a
user's clone without ../shared.

The first pass is compared with the bare scorer on all inputs. The sentence-embedding second pass
(when its extra is installed) only re-scores plausible messages, so its cost depends on the dump:
it is measured on the real collections (or, without them, the first --two-pass-messages of the
corpus mbox, a worst case: a quarter of those messages are positive).

    python scripts/bench.py [--shared ../shared/corpora/real] [--messages 20000]
"""

from __future__ import annotations

import argparse
import json
import mailbox
import resource
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL_PARTS = ["clinton-state-dept-foia-text", "fixtures-eml", "fixtures-mbox", "enron"]


def build_mbox(path: Path, n: int) -> None:
    """An mbox of n messages cycling through the labeled corpus texts."""
    from influence.corpus import load_corpus

    examples = load_corpus([ROOT / "corpora" / "labeled"]).examples
    box = mailbox.mbox(str(path))
    box.lock()
    try:
        for i in range(n):
            m = examples[i % len(examples)].message
            msg = EmailMessage()
            msg["From"] = m.from_ or "unknown@example.org"
            msg["To"] = m.to or "records@example.gov"
            msg["Subject"] = m.subject or f"message {i}"
            msg["Message-ID"] = f"<bench-{i}@example.org>"
            msg.set_content(m.body or "(empty)")
            box.add(msg)
    finally:
        box.flush()
        box.unlock()


def run_influence(inputs: list[str], out: str, two_pass: bool = False) -> dict:
    from influence.model import load_model
    from influence.pipeline import score_paths

    model = load_model()
    model.use_rerank = two_pass
    start = time.perf_counter()
    summary = score_paths(inputs, out, model=model)
    return {"messages": summary.messages, "seconds": time.perf_counter() - start,
            "flagged": summary.flagged}  # fmt: skip


def run_bare(inputs: list[str], out: str) -> dict:
    """The floor: same readers, TF-IDF + logistic regression on raw text, no spaCy."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from influence.corpus import load_corpus
    from influence.readers import iter_messages

    corpus = load_corpus([ROOT / "corpora" / "labeled"]).where("train")
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(class_weight="balanced", max_iter=2000))  # fmt: skip
    model.fit([e.message.text for e in corpus], [e.labels["promotion_for_gifts"] for e in corpus])
    start = time.perf_counter()
    n = 0
    with open(out, "w") as fh:
        batch = []
        for m in iter_messages(inputs):
            batch.append(m)
            if len(batch) == 256:
                n += _bare_batch(model, batch, fh)
                batch = []
        n += _bare_batch(model, batch, fh)
    return {"messages": n, "seconds": time.perf_counter() - start}


def _bare_batch(model, batch, fh) -> int:
    ok = [m for m in batch if m.error is None]
    scores = model.predict_proba([m.text for m in ok])[:, 1] if ok else []
    for m, s in zip(ok, scores):
        fh.write(json.dumps({"id": m.id, "score": float(s)}) + "\n")
    for m in batch:
        if m.error is not None:
            fh.write(json.dumps({"id": m.id, "error": m.error}) + "\n")
    return len(batch)


def child(kind: str, inputs: list[str], out: str) -> None:
    if kind == "bare":
        result = run_bare(inputs, out)
    else:
        result = run_influence(inputs, out, two_pass=kind == "two-pass")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # Worker processes (influence score --workers) are children: report the largest one too.
    result["peak_worker_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "corpora" / "real"))
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--two-pass-messages", type=int, default=2000)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("inputs", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.inputs, args.out)
        return
    with tempfile.TemporaryDirectory(prefix="influence-bench-") as tmp:
        mbox = Path(tmp) / "corpus.mbox"
        build_mbox(mbox, args.messages)
        inputs = [str(mbox)]
        shared = Path(args.shared)
        if shared.is_dir():
            inputs += [str(shared / p) for p in REAL_PARTS if (shared / p).exists()]
        print(f"inputs: {', '.join(inputs)}")
        from influence.embeddings import available

        real = inputs[1:]
        if not real:
            small = Path(tmp) / "small.mbox"
            build_mbox(small, args.two_pass_messages)
            real = [str(small)]
        runs = [("bare", inputs), ("influence", inputs)] + ([("two-pass", real)] if available() else [])
        results = {}
        for kind, paths in runs:
            cmd = [sys.executable, __file__, "--child", kind, "--out", str(Path(tmp) / f"{kind}.jsonl"),
                   *paths]  # fmt: skip
            proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
            results[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
        for kind, r in results.items():
            rate = r["messages"] / r["seconds"]
            r["messages_per_s"] = round(rate, 1)
            worker_mb = r["peak_worker_rss_mb"]
            workers = f" (+ largest worker {worker_mb:.0f} MB)" if worker_mb else ""
            print(f"{kind:10s} {r['messages']:7d} messages  {r['seconds']:7.1f} s  "
                  f"{rate:8.1f} msg/s  peak RSS {r['peak_rss_mb']:.0f} MB{workers}")  # fmt: skip
        ratio = results["influence"]["messages_per_s"] / results["bare"]["messages_per_s"]
        print(f"influence (first pass) / bare speed: {ratio:.2f} (target >= 0.5)")
        if "two-pass" in results:
            print(f"two-pass run on {', '.join(real)}")
        else:
            print("second pass not measured: the embed extra is not installed")


if __name__ == "__main__":
    main()
