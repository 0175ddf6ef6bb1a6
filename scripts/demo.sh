#!/usr/bin/env bash
# Quick start: install everything, build, and start the reverb server + demo backend + Vite app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
pnpm build
exec pnpm --filter @react-reverb/demo dev
