"""Errors shown to users: each message says what went wrong and what to try next."""


class InfluenceError(Exception):
    """Base of every error the CLI prints as one line instead of a traceback."""

    exit_code = 2


class InputError(InfluenceError):
    """An input path or file cannot be used at all."""


class ReadError(InfluenceError):
    """One file or message could not be read; becomes an error row, never stops a run."""


class ModelError(InfluenceError):
    """A model directory is missing, incomplete, or fails its integrity check."""


class CorpusError(InfluenceError):
    """Labeled data is missing fields or labels."""


class OutputError(InfluenceError):
    """An output path has an unknown format or cannot be written."""
