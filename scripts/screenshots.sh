#!/usr/bin/env bash
# Refreshes the screenshots the docs show. The tests write their screenshots into ignored `test-results/`
# folders, so a test run leaves the checkout clean; this runs the tests that take the documented ones and
# copies them over the tracked images. Review with `git diff --stat`, commit what changed for a reason.
set -euo pipefail
cd "$(dirname "$0")/.."

server_shot=packages/server/test-results/dashboard.png
demo_shots=apps/demo/test-results
# A copied image is always from this run, never one left from an earlier one.
rm -f "$server_shot" "$demo_shots"/*.png

pnpm build
pnpm --filter @react-reverb/server exec vitest run tests/dashboard.test.ts
pnpm --filter @react-reverb/demo exec vitest run e2e/demo.e2e.test.ts e2e/previews.e2e.test.ts

cp "$server_shot" packages/server/docs/dashboard.png
cp "$demo_shots"/*.png apps/demo/screenshots/
git status --short -- packages/server/docs apps/demo/screenshots
