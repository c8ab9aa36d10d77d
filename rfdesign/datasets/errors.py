"""Errors of the dataset store; :class:`DatasetDamaged` says in one line what to do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rfdesign.datasets.manifest import Scan


class DatasetError(ValueError):
    """A dataset that cannot be opened, created or merged as asked."""


class DatasetDamaged(DatasetError):
    """Files of a dataset are missing, truncated or changed (one-line message with the fix).

    Attributes:
        path: The dataset folder.
        scan: The damaged files and the samples they hold (:class:`~.manifest.Scan`).
    """

    def __init__(self, path: Path, found: Scan) -> None:
        self.path = Path(path)
        self.scan = found
        super().__init__(f"{self.problem}; {self.fix}")

    @property
    def problem(self) -> str:
        """What is damaged and how many samples it costs, one line."""
        d = self.scan.damages
        files = ", ".join(f"{self.path / 'dataset.zarr' / x.file} {x.problem}" for x in d[:3])
        more = f" (+{len(d) - 3} more files)" if len(d) > 3 else ""
        if not self.scan.repairable:
            return f"damaged dataset: {files}{more}"
        lost = f"{self.scan.lost} samples lost"
        if any(x.array == "valid" for x in d):
            lost += f", {self.scan.at_risk} more rows unverifiable"
        return f"damaged dataset: {files}{more}: {lost}"

    @property
    def fix(self) -> str:
        """The command that repairs it, or why none can."""
        if not self.scan.repairable:
            bad = ", ".join(x.file for x in self.scan.damages if not x.repairable)
            return f"not repairable: restore {bad} from a backup or version control"
        return (
            f"fix: rfdesign dataset repair {self.path}, then rerun the same "
            "`rfdesign dataset generate` to compute the lost samples again"
        )
