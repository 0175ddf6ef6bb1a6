#!/usr/bin/env bash
# Quick start: install everything, then build (turbo, cached) and start the reverb server, the demo
# backend and the Vite app together; prints the URL to open. Ctrl+C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec pnpm --filter @react-reverb/demo dev
