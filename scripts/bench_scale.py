"""Whole-process timings, as a user runs them, against a bare TF-IDF + logistic-regression scorer.

Every run is its own process timed from launch to exit (start-up included), on the same JSONL of
real State Department messages (the ../shared collection's printed documents and its CSV export,
about 4,000 messages); the ratios compare runs measured here, in the same run of this script:

- `influence score --first-pass-only` and the default `influence score` (both passes) against the
  bare scorer (same file, TF-IDF + logistic regression trained beforehand, loaded with joblib);
- `influence score --scheduler local` with 1 and 2 Dask workers (scaling on this machine).

    python scripts/bench_scale.py [--shared ../shared/corpora/real]

Without ../shared it says so and stops: the figures are only meaningful on real mail.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

BARE = """
import json, sys, joblib
from influence.readers import iter_messages
model = joblib.load(sys.argv[1])
with open(sys.argv[3], "w") as fh:
    batch = []
    def flush():
        ok = [m for m in batch if m.error is None]
        for m, s in zip(ok, model.predict_proba([m.text for m in ok])[:, 1] if ok else []):
            fh.write(json.dumps({"id": m.id, "score": float(s)}) + "\\n")
        batch.clear()
    for m in iter_messages([sys.argv[2]]):
        batch.append(m)
        if len(batch) == 256:
            flush()
    flush()
"""


def build_inputs(shared: Path, tmp: Path) -> Path:
    """The State Department messages as one JSONL file (what `influence ingest` writes)."""
    out = tmp / "state.jsonl"
    parts = [shared / "clinton-state-dept-foia-text",
             shared / "csv-derived" / "clinton_state_dept_sample_kaggle_like.csv"]  # fmt: skip
    subprocess.run([str(BIN / "influence"), "ingest", *map(str, parts), "-o", str(out)], check=True,
                   capture_output=True)  # fmt: skip
    return out


def train_bare(tmp: Path) -> Path:
    import joblib
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from influence.corpus import load_corpus

    corpus = load_corpus([ROOT / "corpora" / "labeled"]).where("train")
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
                          LogisticRegression(class_weight="balanced", max_iter=2000))  # fmt: skip
    model.fit([e.message.text for e in corpus], [e.labels["promotion_for_gifts"] for e in corpus])
    path = tmp / "bare.joblib"
    joblib.dump(model, path)
    return path


def timed(cmd: list[str]) -> dict:
    """Wall time of one process from launch to exit, and the peak RSS of the largest process it
    or any of its workers reached."""
    start = time.perf_counter()
    wrapped = [sys.executable, "-c", _MEASURE, *cmd]
    proc = subprocess.run(wrapped, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    rss = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"seconds": seconds, **rss}


# Run the command as a child and report the peak RSS of the largest child process.
_MEASURE = """
import json, resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(json.dumps({"peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "corpora" / "real"))
    ap.add_argument("--no-dask", action="store_true", help="Skip the Dask scaling runs.")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "clinton-state-dept-foia-text").is_dir():
        print(f"{shared} has no State Department collection: whole-process benchmark skipped")
        return
    from influence.embeddings import available

    with tempfile.TemporaryDirectory(prefix="influence-scale-") as tmp_name:
        tmp = Path(tmp_name)
        data = build_inputs(shared, tmp)
        n = sum(1 for line in data.open() if line.strip())
        bare_model = train_bare(tmp)
        score = [str(BIN / "influence"), "score", str(data)]
        runs: list[tuple[str, list[str]]] = [
            ("bare", [sys.executable, "-c", BARE, str(bare_model), str(data), str(tmp / "bare.jsonl")]),
            ("first pass", [*score, "-o", str(tmp / "first.csv"), "--first-pass-only"]),
        ]
        if available():
            runs.append(("both passes", [*score, "-o", str(tmp / "both.csv")]))
        if not args.no_dask:
            for w in (1, 2):
                runs.append((f"dask {w} worker{'s' * (w > 1)}",
                             [*score, "-o", str(tmp / f"dask{w}.csv"), "--scheduler", "local",
                              "--workers", str(w)]))  # fmt: skip
        print(f"{n} messages ({data.stat().st_size / 2**20:.1f} MB JSONL) on {os.cpu_count()} cores; "
              "whole process, start-up included")  # fmt: skip
        results = {}
        for name, cmd in runs:
            results[name] = r = timed(cmd)
            print(f"  {name:16s} {r['seconds']:7.1f} s  {n / r['seconds']:7.1f} msg/s  "
                  f"largest process {r['peak_rss_mb']:.0f} MB", flush=True)  # fmt: skip
        bare = results["bare"]["seconds"]
        print(f"first pass / bare: {results['first pass']['seconds'] / bare:.2f}x (target <= 2x)")
        if "both passes" in results:
            print(f"both passes / bare: {results['both passes']['seconds'] / bare:.2f}x (target <= 3x)")
        if "dask 2 workers" in results:
            speedup = results["dask 1 worker"]["seconds"] / results["dask 2 workers"]["seconds"]
            print(f"dask 2 workers vs 1: {speedup:.2f}x faster")


if __name__ == "__main__":
    main()
