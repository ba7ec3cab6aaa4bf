"""Why a backup or a restore refused to go on; the CLI prints the message and exits non-zero."""

from __future__ import annotations


class OperationRefused(Exception):
    """Nothing was changed; `message` says why, for an operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ForeignArchive(OperationRefused):
    """The file is not a Parley archive at all."""


class DamagedArchive(OperationRefused):
    """A Parley archive whose bytes do not match its manifest (flipped, truncated, edited)."""


class IncompatibleArchive(OperationRefused):
    """A sound archive this Parley cannot load (newer schema or format)."""


class TargetNotEmpty(OperationRefused):
    """The database or media folder already holds an instance."""
