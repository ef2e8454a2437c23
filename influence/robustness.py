"""Invariances a model must hold on mail it has not seen: what a real release does to a message
(buries it in a long document, adds a sign-off, prints it with page furniture) must not change
whether the exchange in it is found. Each check is measured on held-out rows; the background
text comes from the real collections in `../shared` and the checks that need it are skipped
without them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from influence.corpus import Example
from influence.model import TARGET, Model
from influence.nlp import default_nlp, docs_for
from influence.settings import tomllib
from influence.types import Message

# Real mail for padding: ordinary business and government mail with no vendor exchange.
BACKGROUND = ("enron", "clinton-state-dept-foia-text")


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    with resources.files("influence.patterns").joinpath("robustness.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass
class Check:
    name: str
    value: float | None  # None: skipped
    target: float
    higher_is_better: bool = True
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target

    def line(self) -> str:
        op = ">=" if self.higher_is_better else "<="
        if self.value is None:
            return f"{self.name:58s} skipped  ({self.detail})"
        verdict = "ok" if self.passed else "BELOW TARGET" if self.higher_is_better else "ABOVE TARGET"
        return f"{self.name:58s} {self.value:7.1%}  target {op} {self.target:.0%}  {verdict}  {self.detail}"


def real_filler(shared: Path, limit: int = 3000, card: dict | None = None) -> list[str]:
    """Bodies of real messages (at least 40 words each) from the background collections, from files
    the model (by its `card`) never trained on."""
    from influence.background import heldout_for
    from influence.readers import iter_messages

    inputs, _ = heldout_for(card or {}, [shared / name for name in BACKGROUND if (shared / name).exists()])
    if not inputs:
        return []
    bodies = (m.body.strip() for m in iter_messages(inputs) if m.error is None)
    return list(islice((b for b in bodies if len(b.split()) >= 40), limit))


def filler_text(pool: list[str], words: int, rng: random.Random) -> str:
    """Whole real messages, one after another, until about `words` words."""
    out: list[str] = []
    n = 0
    while n < words:
        body = rng.choice(pool)
        out.append(body)
        n += len(body.split())
    return "\n\n".join(out)


def padded(message: Message, pool: list[str], words: int, rng: random.Random) -> Message:
    """The message with ordinary real mail before and after its text, the way one exchange sits
    in a long forward chain or a newsletter: half the words above, half below."""
    before, after = filler_text(pool, words // 2, rng), filler_text(pool, words // 2, rng)
    return replace(message, body=f"{before}\n\n{message.body}\n\n{after}")


def with_disclaimer(message: Message, text: str) -> Message:
    return replace(message, body=f"{message.body.rstrip()}\n\n{text}")


def in_layout(message: Message) -> Message:
    """The message printed as a released Outlook thread: reply header, Original Message marker,
    redaction codes, page footer and Bates stamp."""
    conf = config()["text"]
    head = conf["layout_header"].format(sender=message.from_ or "Records Clerk <clerk@example.gov>",
                                        subject=message.subject or "records")  # fmt: skip
    return replace(message, body=f"{head}{message.body}{conf['layout_footer']}")


def alone(example: Example) -> Message:
    """The rationale of a positive with nothing around it."""
    return Message(id=f"{example.message.id}#rationale", source=example.message.source,
                   body="\n".join(example.rationale))  # fmt: skip


def scores(model: Model, messages: Iterable[Message], batch: int = 64) -> np.ndarray:
    nlp = default_nlp()
    out: list[np.ndarray] = []
    it: Iterator[Message] = iter(messages)
    while chunk := list(islice(it, batch)):
        out.append(model.predict(list(docs_for(nlp, chunk)))[TARGET])
    return np.concatenate(out) if out else np.array([])


def _kept(
    model: Model, flagged: list[Example], change: Callable[[Example, int], Message]
) -> tuple[float, int]:
    after = scores(model, (change(e, i) for i, e in enumerate(flagged)))
    return float(np.mean(after >= model.threshold)), int(np.sum(after >= model.threshold))


def run(model: Model, examples: list[Example], shared: Path | None = None, *, seed: int = 0,
        say: Callable[[str], None] = lambda _m: None) -> list[Check]:  # fmt: skip
    """Every invariance on `examples` (held-out labeled rows)."""
    conf = config()
    targets, text = conf["targets"], conf["text"]
    thr = model.threshold
    pos = [e for e in examples if e.labels[TARGET] == 1]
    neg = [e for e in examples if e.labels[TARGET] == 0]
    say(f"scoring {len(examples)} held-out messages ({len(pos)} positive)")
    base = scores(model, (e.message for e in examples))
    flagged = [e for e, s in zip(examples, base) if e.labels[TARGET] == 1 and s >= thr]
    checks = [Check("test positives flagged as written (reference)", len(flagged) / max(1, len(pos)), 0.0,
                    detail=f"{len(flagged)} of {len(pos)}")]  # fmt: skip
    pool = real_filler(shared, card=model.card) if shared and shared.is_dir() else []
    for words in targets["padding_words"]:
        name = f"flagged positives still flagged, padded with {words} words"
        if not pool:
            checks.append(Check(name, None, targets["padding"], detail="no real background in ../shared"))
            continue
        say(f"padding {len(flagged)} flagged positives with {words} words of real mail")
        rng = random.Random(seed + words)
        share, n = _kept(model, flagged, lambda e, _i, w=words, r=rng: padded(e.message, pool, w, r))
        checks.append(Check(name, share, targets["padding"], detail=f"{n} of {len(flagged)}"))
    say("appending disclaimers and sign-offs")
    notes = text["disclaimers"]
    share, n = _kept(model, flagged, lambda e, i: with_disclaimer(e.message, notes[i % len(notes)]))
    checks.append(Check("flagged positives still flagged, with a disclaimer or sign-off", share,
                        targets["disclaimer"], detail=f"{n} of {len(flagged)}"))  # fmt: skip
    say("printing negatives as released threads")
    neg_base = scores(model, (e.message for e in neg))
    neg_after = scores(model, (in_layout(e.message) for e in neg))
    added = float(np.mean(neg_after >= thr) - np.mean(neg_base >= thr))
    detail = f"{np.sum(neg_base >= thr)} -> {np.sum(neg_after >= thr)} of {len(neg)}"
    checks.append(Check("false positives added by printed-thread layout", max(0.0, added),
                        targets["layout_false_positives"], higher_is_better=False, detail=detail))
    with_rationale = [e for e in pos if e.rationale]
    name = "positives whose rationale alone is flagged"
    if with_rationale:
        alone_scores = scores(model, (alone(e) for e in with_rationale))
        hit = int(np.sum(alone_scores >= thr))
        checks.append(Check(name, hit / len(with_rationale), targets["rationale_alone"],
                            detail=f"{hit} of {len(with_rationale)} with a rationale"))  # fmt: skip
    else:
        checks.append(Check(name, None, targets["rationale_alone"], detail="no rationale annotated"))
    for canary in conf["canary"]:
        s = float(scores(model, [Message(id="canary", source="robustness.toml", body=canary["text"])])[0])
        checks.append(Check(f"flagged: {canary['name']}", float(s >= thr), 1.0, detail=f"score {s:.3f}"))
    return checks
