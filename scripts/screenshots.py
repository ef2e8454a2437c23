"""Redraw the README screenshots: the review page of the sample dump and the evaluation report.

    python scripts/screenshots.py          # needs /usr/bin/chromium; writes docs/*.png

Uses the test suite's small DevTools-over-pipe driver (tests/browser.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import Chromium  # noqa: E402

MAX_BYTES = 300_000


def shrink(path: Path) -> None:
    """Quantize to a 256-colour palette when a screenshot is over the size budget."""
    if path.stat().st_size <= MAX_BYTES:
        return
    from PIL import Image

    with Image.open(path) as img:
        img.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)


def main() -> None:
    out, docs = ROOT / "out", ROOT / "docs"
    docs.mkdir(exist_ok=True)
    influence = [sys.executable, "-m", "influence.cli"]
    subprocess.run([*influence, "score", "corpora/sample-dump", "-o", "out/scores.csv", "--html",
                    "out/review.html"], cwd=ROOT, check=True)  # fmt: skip
    subprocess.run([*influence, "evaluate", "corpora/labeled", "--report", "out/evaluation"], cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    with Chromium(width=1400, height=1000) as chrome:
        page = chrome.open(out / "review.html")
        # open the Ring tiers message: its evidence is in the author's own words
        page.eval(
            "[...document.querySelectorAll('#rows tbody tr')]"
            ".find(tr => tr.textContent.includes('0004.eml')).click()"
        )
        shot = page.screenshot(docs / "review.png")
        shrink(shot)
    with Chromium(width=1200, height=1180) as chrome:
        page = chrome.open(out / "evaluation" / "report.html")
        shot = page.screenshot(docs / "evaluation.png")
        shrink(shot)
    for name in ("review.png", "evaluation.png"):
        print(f"docs/{name}: {(docs / name).stat().st_size // 1000} KB")


if __name__ == "__main__":
    main()
