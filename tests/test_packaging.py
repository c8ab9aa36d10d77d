"""The engines import as rfdesign.* from outside the repository."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_engine_packages_import_from_outside_the_repo(tmp_path):
    code = (
        "import rfdesign.solvers, rfdesign.surrogates, rfdesign.optimizers, rfdesign.layouts, "
        "rfdesign.optimizers.synthesis, "
        "rfdesign.scattering, rfdesign.core, "
        "rfdesign.spec, pathlib; "
        "print(pathlib.Path(rfdesign.layouts.__file__).resolve().parent.name)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "layouts"


def test_core_import_stays_lean(tmp_path):
    code = (
        "import sys, rfdesign.spec, rfdesign.layouts; "
        "print(sorted(m for m in ('torch', 'openEMS', 'meep', 'dask') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]"
