"""Process settings that must be in place before `datasets` or `huggingface_hub` import."""

import os


def set_offline() -> None:
    # datasets otherwise makes DNS look-ups even for local files, which hang on closed networks.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
