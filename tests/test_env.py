"""Process settings: thinc's import-time probe does not pull in torch, which stays importable."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import pytest

PROBE = (
    "import sys, influence.nlp, thinc.compat; "
    "print(thinc.compat.has_torch, 'torch' in sys.modules); "
    "import torch; print(torch.__name__)"
)


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch is not installed")
def test_thinc_is_kept_from_torch_unless_asked() -> None:
    env = {k: v for k, v in os.environ.items() if k != "INFLUENCE_THINC_TORCH"}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "torch"]  # spaCy loaded without it; importable after
    env["INFLUENCE_THINC_TORCH"] = "1"  # a trained spaCy pipeline that runs on torch
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split()[:2] == ["True", "True"]
