#!/usr/bin/env bash
# Offline install of the Python side of the tests into a venv: torch 2.13 (CPU), numpy, safetensors and a current
# fsspec (scaffold interop under fsspec 2026 beside Debian's 2022.11),
# from the wheels and on-disk package index this machine image's pip is configured with (`pip config
# list`); no network index is asked. The checkpoint tests use it as the reference torch.
#
#   scripts/setup-python.sh [VENV]     (default: .venv in the project root)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-$ROOT/.venv}
PYTHON=${PYTHON:-python3.11}
INDEX=${INDEX:-$("$PYTHON" -m pip config get global.extra-index-url 2>/dev/null | awk '{print $1}')}
[ -n "$INDEX" ] || { echo "no on-disk package index configured for pip (pip config list)" >&2; exit 1; }
EXTRA=$("$PYTHON" -m pip config get global.extra-index-url 2>/dev/null | awk '{print $2}')
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install -q --index-url "$INDEX" ${EXTRA:+--extra-index-url "$EXTRA"} \
  "torch==2.13.0+cpu" "numpy>=2,<3" safetensors "fsspec>=2026"
"$VENV/bin/python" -c "import torch, numpy, safetensors, fsspec; print('torch', torch.__version__, 'numpy', numpy.__version__, 'safetensors', safetensors.__version__, 'fsspec', fsspec.__version__)"
