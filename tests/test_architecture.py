"""The import table of DESIGN.md holds on the source: arrows point one way.

| folder | imported as | may import (besides itself and ``rfdesign.core``) |
|---|---|---|
| ``layouts/`` | ``rfdesign.layouts`` | numpy, scipy, gdstk, scikit-rf, matplotlib (no engine) |
| ``solvers/`` | ``rfdesign.solvers`` | layouts |
| ``surrogates/`` | ``rfdesign.surrogates`` | layouts |
| ``optimizers/`` | ``rfdesign.optimizers`` | layouts, solvers, surrogates |
| ``scattering/`` | ``rfdesign.scattering`` | ``rfdesign.surrogates.checkpoint`` only |
| ``core/`` | ``rfdesign.core`` | nothing of rfdesign |
| ``rfdesign/`` | ``rfdesign`` | everything |

Every ``import`` statement counts, also those inside functions (lazy imports are imports).
"""

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

ENGINES = ("layouts", "solvers", "surrogates", "optimizers", "scattering")
ALLOWED = {
    "core": {"core"},
    "layouts": {"layouts", "core"},
    "solvers": {"solvers", "layouts", "core"},
    "surrogates": {"surrogates", "layouts", "core"},
    "optimizers": {"optimizers", "layouts", "solvers", "surrogates", "core"},
    "scattering": {"scattering", "core", "rfdesign.surrogates.checkpoint"},
}
LAYOUTS_THIRD_PARTY = {"numpy", "scipy", "gdstk", "skrf", "matplotlib"}


def _folder_layer(path: Path, root: Path) -> str:
    """Layer of a source file: an engine, ``core`` or ``app`` (rfdesign/)."""
    top = path.relative_to(root).parts[0]
    return "app" if top == "rfdesign" else top


def _target(module: str) -> tuple[str, str] | None:
    """``(layer, module)`` of an rfdesign module; None for third-party modules."""
    parts = module.split(".")
    if parts[0] != "rfdesign":
        return None
    if len(parts) > 1 and parts[1] in (*ENGINES, "core"):
        return parts[1], module
    return "app", module


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import in a file (``from a import b`` gives
    ``a.b`` when ``b`` may be a submodule)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "rfdesign":  # from rfdesign import x: x is what is imported
                out += [(node.lineno, f"rfdesign.{a.name}") for a in node.names]
            else:
                out.append((node.lineno, node.module))
    return out


def violations(root: Path) -> list[str]:
    """Every import in ``root`` that the table forbids, as ``file:line: layer imports module``."""
    found = []
    folders = [root / f for f in (*ENGINES, "core")]
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            layer = _folder_layer(path, root)
            for line, module in _imports(path):
                where = f"{path.relative_to(root)}:{line}: {layer} imports {module}"
                target = _target(module)
                if target is None:
                    top = module.split(".")[0]
                    if layer == "layouts" and top not in LAYOUTS_THIRD_PARTY | set(
                        sys.stdlib_module_names
                    ):
                        found.append(where)
                    continue
                allowed = ALLOWED[layer]
                if target[0] not in allowed and not any(
                    module == a or module.startswith(a + ".") for a in allowed if "." in a
                ):
                    found.append(where)
    return found


def test_the_source_follows_the_import_table():
    assert violations(REPO) == []


def test_a_forbidden_import_is_caught(tmp_path):
    # the checker itself: plant one forbidden import per rule and one allowed import
    files = {
        "layouts/grid.py": "import numpy\nfrom rfdesign.solvers.base import Solver\n",
        "layouts/export.py": "def f():\n    import torch\n",
        "solvers/base.py": "from rfdesign.layouts.grid import PixelGrid\nimport rfdesign.pipeline\n",
        "surrogates/gp.py": "from rfdesign.solvers import circuit\n",
        "optimizers/ga.py": "from rfdesign.solvers.base import Solver\nfrom rfdesign import __version__\n",
        "scattering/ficlm.py": "from rfdesign.surrogates.checkpoint import save_net\n"
        "from rfdesign.surrogates.cnn import CNNConfig\n",
        "core/db.py": "from rfdesign.layouts import grid\n",
        "rfdesign/pipeline.py": "from rfdesign.cli import app\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert violations(tmp_path) == [
        "layouts/export.py:2: layouts imports torch",
        "layouts/grid.py:2: layouts imports rfdesign.solvers.base",
        "solvers/base.py:2: solvers imports rfdesign.pipeline",
        "surrogates/gp.py:1: surrogates imports rfdesign.solvers",
        "optimizers/ga.py:2: optimizers imports rfdesign.__version__",
        "scattering/ficlm.py:2: scattering imports rfdesign.surrogates.cnn",
        "core/db.py:1: core imports rfdesign.layouts",
    ]


def test_the_readme_map_lists_every_folder():
    import re

    text = (REPO / "README.md").read_text()
    section = text[text.index("## Map of the folders") :]
    section = section[: section.index("\n## ", 1)]
    listed = set(re.findall(r"^\| `([\w/]+)/` \|", section, flags=re.M))
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    tops = {f.split("/")[0] for f in tracked if "/" in f and not f.startswith(".")}
    packages = {  # sub-packages of the application and of the engines
        f.rsplit("/", 1)[0]
        for f in tracked
        if f.count("/") == 2 and f.endswith("/__init__.py") and not f.startswith("tests/")
    }
    assert listed == tops | packages
