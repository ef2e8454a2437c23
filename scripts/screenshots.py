"""Redraw the README screenshots: the review page of the sample dump and the evaluation report.

    python scripts/screenshots.py          # needs /usr/bin/chromium; writes docs/*.png
    python scripts/screenshots.py --only app   # just the review app (docs/review-app.png)

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


def review_app(out: Path, docs: Path) -> None:
    """The review app on a project of the sample dump, two labels in, the third message showing."""
    import re
    import shutil

    influence = [sys.executable, "-m", "influence.cli"]
    project = out / "screenshot-project" / "sample.db"
    shutil.rmtree(project.parent, ignore_errors=True)
    subprocess.run([*influence, "review", "init", "corpora/sample-dump", "-p", str(project),
                    "--first-pass-only"], cwd=ROOT, check=True)  # fmt: skip
    server = subprocess.Popen([*influence, "review", "serve", "-p", str(project), "--reviewer", "dana",
                               "--explore", "0", "--retrain-every", "0"], cwd=ROOT, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        url = ""
        while not url:
            line = server.stderr.readline()
            if not line:
                raise SystemExit("the review server did not start")
            if re.match(r"http://127\.0\.0\.1:\d+/\?token=", line):
                url = line.strip()
        with Chromium(width=1400, height=900) as chrome:
            page = chrome.open(url)
            page.wait("!!document.querySelector('#subject')")
            for key in ("y", "n"):
                before = page.eval("document.querySelector('#subject').dataset.id")
                page.press(key)
                page.wait(f"document.querySelector('#subject').dataset.id !== {before!r}")
            page.wait("!!document.querySelector('#stats')")
            shot = page.screenshot(docs / "review-app.png")
            shrink(shot)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    out, docs = ROOT / "out", ROOT / "docs"
    docs.mkdir(exist_ok=True)
    if sys.argv[1:] == ["--only", "app"]:
        review_app(out, docs)
        return
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
    review_app(out, docs)
    for name in ("review.png", "evaluation.png", "review-app.png"):
        print(f"docs/{name}: {(docs / name).stat().st_size // 1000} KB")


if __name__ == "__main__":
    main()
