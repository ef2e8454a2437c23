"""`influence review simulate`: replay a review on labeled messages to see what the review loop and
its stopping rules would have cost and found.

The pool is a labeled split (the corpus's `test` split by default, never trained on) mixed into
real background mail (taken as negatives) at a chosen prevalence, the way positives sit in a real
release. Each seed replays the loop of `influence review serve`: the current model ranks the
unread, the reviewer reads the next batch (mostly the highest scores, a share drawn at random),
their labels are revealed, the model is retrained on the corpus plus the labels so far (same
`Learner`, same weight), and both stopping rules are asked after every batch. Batches grow by a
tenth each time (BMI/AutoTAR), so a review of N messages retrains O(log N) times.

Reported per seed and averaged: recall against effort, WSS@95 (work saved over reading in random
order at 95% recall), RRF@10 (share of positives found after reading 10% of the pool), and for each
stopping rule the effort at which it stopped and the recall it had actually reached.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from influence.corpus import load_corpus
from influence.errors import InfluenceError
from influence.learning import Learner
from influence.model import TARGET
from influence.stopping import knee, sample_bound
from influence.types import Message

FIRST_BATCH = 10


class SimulationError(InfluenceError):
    pass


@dataclass
class Run:
    seed: int
    pool: int
    positives: int
    order: list[int]  # 1 for a positive, in reading order
    random: list[bool]  # whether each read was a random draw
    retrains: int
    stops: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def effort_at(self, recall: float) -> int:
        need = math.ceil(recall * self.positives)
        found = 0
        for i, y in enumerate(self.order, 1):
            found += y
            if found >= need:
                return i
        return len(self.order)

    def recall_after(self, reads: int) -> float:
        return sum(self.order[:reads]) / self.positives

    def summary(self) -> dict[str, Any]:
        n95 = self.effort_at(0.95)
        return {
            "seed": self.seed,
            "pool": self.pool,
            "positives": self.positives,
            "effort_95": n95,
            "effort_95_share": n95 / self.pool,
            "wss_95": (self.pool - n95) / self.pool - 0.05,
            "rrf_10": self.recall_after(math.ceil(0.10 * self.pool)),
            "retrains": self.retrains,
            "stops": self.stops,
        }


def background_messages(paths: Sequence[Path], limit: int | None = None) -> list[Message]:
    """Readable real mail with a body: the negatives the positives are hidden among (the same mail
    `influence train --background` adds as negatives)."""
    from influence.training import background_examples

    return [e.message for e in background_examples(list(paths), limit)[0]]


def replay(
    learner: Learner,
    rows: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    explore: float = 0.1,
    target: float = 0.95,
    first: np.ndarray | None = None,
) -> Run:
    """One simulated review of the pool rows `rows` (indices into the learner's pool) with truth `y`."""
    rng = random.Random(seed)
    n, total = len(rows), int(y.sum())
    scores = first.copy() if first is not None else learner.scores(learner.fit({}))[rows]
    unread = np.ones(n, dtype=bool)
    order: list[int] = []
    kinds: list[bool] = []
    labels: dict[int, int] = {}
    stops: dict[str, dict[str, float | None]] = {}
    batch, retrains = FIRST_BATCH, 0
    while unread.any():
        ranked = [
            int(i) for i in np.argsort(-np.where(unread, scores, -np.inf), kind="stable")[: int(unread.sum())]
        ]
        pool_left = set(ranked)
        taken: list[tuple[int, bool]] = []
        r = 0
        for _ in range(min(batch, len(ranked))):
            if rng.random() < explore:
                i = ranked[rng.randrange(len(ranked))]
                while i not in pool_left:  # rejection: almost every ranked message is still left
                    i = ranked[rng.randrange(len(ranked))]
                taken.append((i, True))
            else:
                while ranked[r] not in pool_left:
                    r += 1
                i = ranked[r]
                taken.append((i, False))
            pool_left.discard(i)
        for i, is_random in taken:
            unread[i] = False
            order.append(int(y[i]))
            kinds.append(is_random)
            labels[int(rows[i])] = int(y[i])
        found = sum(order)
        sample = [o for o, k in zip(order, kinds) if k]
        verdicts = {
            "knee": knee([bool(o) for o in order]).stop,
            "sample": sample_bound(found, int(unread.sum()), sum(sample), len(sample), target=target).stop,
        }
        for rule, stop in verdicts.items():
            if stop and rule not in stops:
                stops[rule] = {"effort": len(order), "effort_share": len(order) / n, "recall": found / total}
        if len(stops) == len(verdicts):
            break
        if found < total and unread.any():  # once every positive is found, retraining changes nothing
            scores = learner.scores(learner.fit(labels))[rows]
            retrains += 1
        batch += math.ceil(batch / 10)
    for rule in ("knee", "sample"):
        stops.setdefault(rule, {"effort": None, "effort_share": None, "recall": None})
    return Run(seed, n, total, order, kinds, retrains, stops)


@dataclass
class Simulation:
    runs: list[Run]
    settings: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        per = [r.summary() for r in self.runs]
        mean = lambda k: float(np.mean([p[k] for p in per]))  # noqa: E731
        rules = {}
        for rule in ("knee", "sample"):
            stops = [r.stops[rule] for r in self.runs]
            stopped = [s for s in stops if s["effort"] is not None]
            rules[rule] = {
                "stopped": len(stopped),
                "mean_effort_share": float(np.mean([s["effort_share"] for s in stopped]))
                if stopped
                else None,
                "mean_recall": float(np.mean([s["recall"] for s in stopped])) if stopped else None,
                "min_recall": float(min(s["recall"] for s in stopped)) if stopped else None,
                "reached_target": sum(s["recall"] >= self.settings["target"] for s in stopped),
            }
        return {
            "settings": self.settings,
            "seeds": len(per),
            "effort_95_share": mean("effort_95_share"),
            "effort_95_share_max": max(p["effort_95_share"] for p in per),
            "wss_95": mean("wss_95"),
            "rrf_10": mean("rrf_10"),
            "rules": rules,
            "runs": per,
        }


def simulate(
    corpus: Sequence[str | Path],
    *,
    split: str = "test",
    background: Sequence[Path] = (),
    background_limit: int | None = None,
    prevalence: float = 0.01,
    seeds: int = 5,
    explore: float = 0.1,
    target: float = 0.95,
    train_corpus: Sequence[Path] | None = None,
    say: Callable[[str], None] | None = None,
) -> Simulation:
    """Replay reviews of `split` rows of `corpus`, positives thinned to `prevalence` among the
    split's negatives and the background, over `seeds` seeds."""
    from influence.learning import corpus_paths

    say = say or (lambda _m: None)
    rows = load_corpus(list(corpus)).where(split)
    if not rows:
        raise SimulationError(f"No rows in the {split!r} split of {', '.join(map(str, corpus))}")
    bg = background_messages(background, background_limit) if background else []
    y_all = np.array([e.labels[TARGET] for e in rows] + [0] * len(bg), dtype=int)
    pos = np.flatnonzero(y_all == 1)
    neg = np.flatnonzero(y_all == 0)
    k = min(len(pos), max(1, round(prevalence * len(neg) / (1 - prevalence))))
    if not len(pos):
        raise SimulationError(f"The {split!r} split holds no positive to look for")
    say(f"pool: {len(neg)} negatives ({len(bg)} real background) and {k} of {len(pos)} positives per seed "
        f"({k / (k + len(neg)):.2%} prevalence)")  # fmt: skip
    learner = Learner(corpus_paths(train_corpus or list(map(Path, corpus))))
    messages = [e.message for e in rows] + bg
    say(f"reading {len(messages)} pool messages and the corpus through spaCy (once)")
    learner.prepare(list(range(len(messages))), messages)
    first = learner.scores(learner.fit({}))
    runs = []
    for seed in range(seeds):
        pick = np.random.default_rng(seed).choice(pos, size=k, replace=False)
        pool = np.sort(np.concatenate([neg, pick]))
        run = replay(learner, pool, y_all[pool], seed=seed, explore=explore, target=target, first=first[pool])
        s = run.summary()
        say(f"seed {seed}: 95% recall after {s['effort_95_share']:.1%} of the pool, "
            f"WSS@95 {s['wss_95']:.3f}, "
            f"RRF@10 {s['rrf_10']:.3f}, {run.retrains} retrains; knee stopped at "
            f"{_stop(run.stops['knee'])}, sample rule at {_stop(run.stops['sample'])}")  # fmt: skip
        runs.append(run)
    settings = {"corpus": [str(c) for c in corpus], "split": split,
                "background": [str(b) for b in background], "background_messages": len(bg),
                "split_negatives": int(len(neg) - len(bg)), "positives": int(k),
                "prevalence": k / (k + len(neg)), "explore": explore, "target": target,
                "first_batch": FIRST_BATCH, "weight": learner.weight}  # fmt: skip
    return Simulation(runs, settings)


def _stop(s: dict[str, float | None]) -> str:
    if s["effort"] is None:
        return "never"
    return f"{s['effort_share']:.1%} of the pool with recall {s['recall']:.1%}"


def write_report(sim: Simulation, out: Path) -> dict[str, Any]:
    """summary.json, report.md and report.html (with the recall curves) in `out`."""
    import base64
    import io
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    summary = sim.summary()
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    for run in sim.runs:
        x = np.arange(1, len(run.order) + 1) / run.pool
        ax.plot(x, np.cumsum(run.order) / run.positives, lw=1, alpha=0.8, label=f"seed {run.seed}")
        for rule, marker in (("knee", "o"), ("sample", "s")):
            s = run.stops[rule]
            if s["effort"] is not None:
                ax.plot([s["effort_share"]], [s["recall"]], marker, color="black", ms=5)
    ax.axhline(0.95, color="grey", ls=":", lw=1)
    ax.axvline(0.10, color="grey", ls=":", lw=1)
    ax.set_xlabel("share of the pool read")
    ax.set_ylabel("recall")
    ax.set_title("Recall against effort (o knee stop, s sample-rule stop)")
    ax.set_xlim(0, min(1.0, max(len(r.order) / r.pool for r in sim.runs) * 1.05))
    ax.legend(fontsize=7, loc="lower right")
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    (out / "recall.png").write_bytes(buf.getvalue())
    md = _markdown(summary)
    (out / "report.md").write_text(md)
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(Path(__file__).parent / "reports" / "templates"),
                      autoescape=select_autoescape(["html"]))  # fmt: skip
    html = env.get_template("simulate.html").render(
        s=summary, plot=base64.b64encode(buf.getvalue()).decode(), rules=summary["rules"]
    )
    (out / "report.html").write_text(html)
    return summary


def _markdown(s: dict[str, Any]) -> str:
    st = s["settings"]
    lines = [
        "# Review simulation",
        "",
        f"Pool: the `{st['split']}` split's {st['split_negatives']} negatives, "
        f"{st['background_messages']} real "
        f"background messages and {st['positives']} positives per seed ({st['prevalence']:.2%} prevalence); "
        f"{s['seeds']} seeds, {st['explore']:.0%} random exploration, sample-rule target {st['target']:.0%}.",
        "",
        "| measure | mean over seeds |",
        "|---|---|",
        f"| share read to reach 95% recall | {s['effort_95_share']:.2%} "
        f"(worst seed {s['effort_95_share_max']:.2%}) |",
        f"| WSS@95 | {s['wss_95']:.3f} |",
        f"| RRF@10 | {s['rrf_10']:.3f} |",
        "",
        "| stopping rule | seeds stopped | mean share read at stop | mean recall at stop | lowest recall | "
        "seeds at or above target |",
        "|---|---|---|---|---|---|",
    ]
    for rule, r in s["rules"].items():
        fmt = lambda v: "–" if v is None else f"{v:.1%}"  # noqa: E731
        lines.append(f"| {rule} | {r['stopped']} of {s['seeds']} | {fmt(r['mean_effort_share'])} | "
                     f"{fmt(r['mean_recall'])} | {fmt(r['min_recall'])} | "
                     f"{r['reached_target']} |")  # fmt: skip
    lines += ["", "| seed | 95% recall at | WSS@95 | RRF@10 | retrains |", "|---|---|---|---|---|"]
    for r in s["runs"]:
        lines.append(f"| {r['seed']} | {r['effort_95_share']:.2%} | {r['wss_95']:.3f} | {r['rrf_10']:.3f} | "
                     f"{r['retrains']} |")  # fmt: skip
    return "\n".join(lines) + "\n"
