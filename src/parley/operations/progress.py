"""Progress reporting for long operations: a small protocol, silent or drawn by rich."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class Reporter(Protocol):
    def stage(self, description: str, total: int, *, unit: str = "rows") -> None:
        """Start a stage of `total` units (rows or bytes); the previous one is complete."""

    def advance(self, amount: int) -> None: ...


class Silent:
    def stage(self, description: str, total: int, *, unit: str = "rows") -> None:
        pass

    def advance(self, amount: int) -> None:
        pass


class RichReporter:
    """One bar per stage, kept on screen when done; bytes stages show sizes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._rows = Progress(
            TextColumn("{task.description:<24}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console,
        )  # fmt: skip
        self._bytes = Progress(
            TextColumn("{task.description:<24}"), BarColumn(), DownloadColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(), console=console,
        )  # fmt: skip
        self._current: tuple[Progress, TaskID] | None = None

    def __enter__(self) -> RichReporter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._finish()

    def _finish(self) -> None:
        if self._current is not None:
            self._current[0].stop()
            self._current = None

    def stage(self, description: str, total: int, *, unit: str = "rows") -> None:
        self._finish()
        bar = self._bytes if unit == "bytes" else self._rows
        # A fresh display per stage: each finished bar stays above the next one.
        for task in list(bar.task_ids):
            bar.remove_task(task)
        bar.start()
        self._current = (bar, bar.add_task(description, total=max(total, 0)))

    def advance(self, amount: int) -> None:
        if self._current is not None:
            bar, task = self._current
            bar.advance(task, amount)
