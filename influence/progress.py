"""How far a run has got through its inputs, in bytes: the basis for an honest ETA.

Messages per file vary too much (one PDF binder holds 2,000, one eml holds one) for a message
count to say how much is left, but bytes read do: files finished, plus the byte offset of the
current message inside a large mbox or JSONL file.
"""

from __future__ import annotations

import os

from influence.readers import check_paths, iter_files
from influence.types import Message


class InputProgress:
    def __init__(self, inputs: list[str | os.PathLike[str]]) -> None:
        self.sizes: dict[str, int] = {}
        for root in check_paths(inputs):
            for path in iter_files(root):
                try:
                    self.sizes[str(path)] = path.stat().st_size
                except OSError:
                    self.sizes[str(path)] = 0
        self.total = sum(self.sizes.values()) or 1
        self._finished = 0  # bytes of the files before the current one
        self._file: str | None = None

    def _file_of(self, source: str) -> str | None:
        if source in self.sizes:
            return source
        # a member of an archive names the archive first ("dump.zip!inbox/1.eml")
        return next((f for f in self.sizes if source.startswith(f)), None)

    def done(self, message: Message) -> int:
        """Bytes read up to this message (messages come in input order)."""
        source = message.source or ""
        if self._file is None or not source.startswith(self._file):
            found = self._file_of(source)
            if found is not None and found != self._file:
                if self._file is not None:
                    self._finished += self.sizes[self._file]
                self._file = found
        inside = message.offset or 0
        size = self.sizes.get(self._file or "", 0)
        return min(self.total, self._finished + min(inside, size))
