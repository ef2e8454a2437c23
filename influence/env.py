"""Process settings that must be in place before `datasets`, `huggingface_hub` or spaCy import."""

import os
import sys
from importlib.machinery import ModuleSpec


def set_offline() -> None:
    # datasets otherwise makes DNS look-ups even for local files, which hang on closed networks.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


class _TorchOutOfThinc:
    """Refuses `import torch` to thinc's import-time probe only. thinc (spaCy's ML layer) imports
    torch whenever it is installed, which the embedding extra installs: 1.5 s and about 250 MB in
    every process and worker, for a blank pipeline and rules that never use it. torch stays
    importable everywhere else (the embedding pass imports it itself). Set INFLUENCE_THINC_TORCH=1
    for a trained spaCy pipeline that runs on torch (spacy-transformers)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name == "torch" and _importing("thinc.compat"):
            raise ImportError("torch is kept out of thinc by influence (INFLUENCE_THINC_TORCH=1 lets it in)")
        return None


def _importing(module: str) -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_globals.get("__name__") == module:
            return True
        frame = frame.f_back
    return False


def keep_torch_out_of_thinc() -> None:
    if os.environ.get("INFLUENCE_THINC_TORCH") or "thinc.compat" in sys.modules:
        return
    if not any(isinstance(f, _TorchOutOfThinc) for f in sys.meta_path):
        sys.meta_path.insert(0, _TorchOutOfThinc())
