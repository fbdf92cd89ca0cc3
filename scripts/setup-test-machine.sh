#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian/Ubuntu machine (run as root), then `npm test` runs them.
# .ci/run calls exactly this, then `npm test` (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
if command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  # radosgw/ceph (+ curl, which its start script polls with): the real S3 server of the tests;
  # python3-torch: checks that torch.load reads our checkpoints; python3-fsspec: the Python scaffold interop
  # tests and the local benchmark baseline; chromium: the web UI's browser tests (driven by playwright-core).
  apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd curl python3-torch python3-fsspec chromium >/dev/null
else
  echo "setup-test-machine: no apt-get here; install radosgw, ceph-mon, ceph-osd, curl, python3-torch, python3-fsspec and chromium yourself" >&2
fi
npm ci --no-audit --no-fund
# torch 2.13 (CPU), numpy and safetensors in .venv, offline from the image's wheels: the checkpoint tests' reference torch.
scripts/setup-python.sh
# the real W&B SDK (wandb 0.30.0 + wandb-core) in .venv-wandb, offline: the tests that judge our W&B emulator and client.
scripts/setup-wandb-sdk.sh
