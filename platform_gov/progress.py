"""A small progress bar for long management commands and benchmarks.

On a terminal it redraws one line; elsewhere (CI logs, pipes) it prints a line every tenth
of the way, so logs stay short.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(
        self, total: int, *, label: str = "", stream: TextIO | None = None, width: int = 30
    ):
        self.total = max(total, 0)
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.done = 0
        self.started = time.monotonic()
        self._tty = getattr(self.stream, "isatty", lambda: False)()
        self._last_tenth = -1

    def advance(self, step: int = 1) -> None:
        self.done = min(self.done + step, self.total) if self.total else self.done + step
        self._draw()

    def _draw(self) -> None:
        fraction = self.done / self.total if self.total else 1.0
        if not self._tty:
            tenth = int(fraction * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
        filled = int(self.width * fraction)
        elapsed = time.monotonic() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.done}/{self.total} {fraction:6.1%} {rate:,.0f}/s"
        )
        self.stream.write(("\r" + line) if self._tty else (line + "\n"))
        self.stream.flush()

    def close(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(self, *exc) -> None:
        self.close()
