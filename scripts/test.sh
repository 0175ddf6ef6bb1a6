#!/usr/bin/env bash
# The one test command (README, CI): install what is missing, then build, type-check, lint and test everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system
pnpm test
