"""The README's code runs: its Python API block is examples/api_tour.py, executed here."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOUR = REPO / "examples" / "api_tour.py"


def readme_api_block() -> str:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Python API") :]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_readme_shows_the_api_tour_unchanged():
    assert readme_api_block() == TOUR.read_text()


@pytest.mark.slow
def test_the_api_tour_runs_as_written_and_writes_nothing_into_the_working_directory(tmp_path):
    # run from a copy of the repo's examples folder so that relative paths work as in the README
    work = tmp_path / "cwd"
    for f in (REPO / "examples").rglob("*.yaml"):
        dest = work / f.relative_to(REPO)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(f.read_text())
    before = sorted(p.name for p in work.rglob("*"))
    env = dict(os.environ, RFDESIGN_CACHE=str(tmp_path / "cache"), TMPDIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, str(TOUR)], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "| band | mask |" in proc.stdout  # the printed spec report
    assert sorted(p.name for p in work.rglob("*")) == before
