"""Tunable numbers shipped as data (`patterns/thresholds.toml`)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]


@lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    with resources.files("influence.patterns").joinpath("thresholds.toml").open("rb") as fh:
        return tomllib.load(fh)
