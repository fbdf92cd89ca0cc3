#!/usr/bin/env bash
# Offline install of the real W&B Python SDK (wandb 0.30.0, with its Go core wandb-core) into a venv;
# test/managers/wandb/real-sdk.test.ts runs it against our W&B emulator, both ways.
#
#   scripts/setup-wandb-sdk.sh [VENV]     (default: .venv-wandb in the project root)
#
# Everything comes from the on-disk package index this machine image's pip is configured with (`pip
# config list`: extra-index-url file:…; no network index is asked), except
# opentelemetry-semantic-conventions 0.66b0, which that set lacks: test/vendor/wandb-wheels/ holds it
# (built from upstream opentelemetry-python, Apache-2.0, LICENSE inside the wheel; see the README there).
# opentelemetry-exporter-otlp-common / -http-transport 0.66b0 are absent from the wheel set and not
# installed: wandb imports them only in its best-effort telemetry, so the SDK runs with
# WANDB_ERROR_REPORTING=false.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${1:-$ROOT/.venv-wandb}
WHEELS=$ROOT/test/vendor/wandb-wheels
PYTHON=${PYTHON:-python3.11}
INDEX=${INDEX:-$("$PYTHON" -m pip config get global.extra-index-url 2>/dev/null | awk '{print $1}')}
[ -n "$INDEX" ] || { echo "no on-disk package index configured for pip (pip config list)" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/pip" install -q --index-url "$INDEX" --find-links "$WHEELS")
"${PIP[@]}" "click>=8.2.0" packaging platformdirs "protobuf<8,>=5" "pydantic<3,>=2.6" pyyaml "requests<3,>=2" \
  "typing-extensions<5,>=4.8" "xxhash>=3" "googleapis-common-protos~=1.52" "urllib3>=1.26"
# without the resolver: it would insist on semconv ==0.66b0 and the two exporter helpers that are not here
"${PIP[@]}" --no-deps opentelemetry-api==1.45.0 opentelemetry-sdk==1.45.0 opentelemetry-proto==1.45.0 \
  opentelemetry-exporter-otlp-proto-common==1.45.0 opentelemetry-exporter-otlp-proto-http==1.45.0 \
  opentelemetry-semantic-conventions==0.66b0.dev0 wandb==0.30.0
"$VENV/bin/python" -c "import wandb; print('wandb', wandb.__version__)"
