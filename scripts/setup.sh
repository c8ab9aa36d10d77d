#!/usr/bin/env bash
# One-command, idempotent setup (ENV.md): Debian's openEMS and Meep, a virtual environment on
# Debian's Python that sees them, and this project installed editable with its dev tools.
# Works as root (CI: no standard input) and through sudo for other users. A second run on a
# ready machine installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
DEB_PACKAGES=(python3-openems python3-meep python3-venv)
SYSTEM_PYTHON=/usr/bin/python3   # openEMS and Meep are built for Debian's Python 3.11

# 1. Debian packages, only the missing ones.
missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
else
  echo "setup: dpkg-query not found: install ${DEB_PACKAGES[*]} with your package manager" >&2
  exit 1
fi
if ((${#missing[@]})); then
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${missing[*]}"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# 2. The virtual environment (system site packages: openEMS and Meep come from Debian).
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV"
  "$SYSTEM_PYTHON" -m venv --system-site-packages "$VENV"
fi

# 3. Python packages, only when pyproject.toml changed since the last install.
stamp="$VENV/.rfdesign-install-stamp"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing Python packages"
  # torch first and spelled exactly: 2.13.0 is the CPU wheel (ENV.md); anything else pulls CUDA.
  "$VENV/bin/pip" install -q "numpy<2" "torch==2.13.0"
  "$VENV/bin/pip" install -q -e ".[dev]"
  echo "$want" > "$stamp"
fi

# 4. The solvers must import from the environment.
MPLBACKEND=Agg "$VENV/bin/python" - <<'PY'
import importlib
for name in ("openEMS", "CSXCAD", "meep", "torch", "rfdesign.layouts"):
    importlib.import_module(name)
PY
echo "setup: ready ($VENV)"
