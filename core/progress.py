"""When a progress report is worth a line in a log: the start, each tenth and the end."""

from __future__ import annotations


class TenthSteps:
    """Decides per stage whether ``(done, total)`` is worth a log line.

    A line is due at a stage's first report, when ``done`` reaches ``total``, and whenever
    ``done`` enters a new tenth of ``total``; a repeat of the last value is never due. Used by
    the design flow's INFO log and by the CLI's progress in non-interactive logs, so both
    print the same steps.
    """

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def due(self, stage: str, done: int, total: int) -> bool:
        """Whether this report is due (and remember it)."""
        prev = self._last.get(stage)
        self._last[stage] = done
        if prev == done:
            return False
        if prev is None or done in (0, total):
            return True
        step = max(1, total // 10)
        return done // step != prev // step
