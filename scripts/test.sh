#!/usr/bin/env bash
# The one test command (README, CI): install what is missing, then build, type-check, lint and test
# everything (`pnpm test`), then the bounded stress suite (`pnpm test:stress`). Ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system

log=$(mktemp)
trap 'rm -f "$log"' EXIT
pnpm test 2>&1 | tee "$log"
if node -e "process.exit(require('./package.json').scripts['test:stress'] ? 0 : 1)"; then
  pnpm test:stress 2>&1 | tee -a "$log"
fi

# Sum vitest's "Tests  N passed (M)" lines (ANSI colours stripped); a failure already stopped us above.
sed 's/\x1b\[[0-9;]*m//g' "$log" | node -e "
  let passed = 0, failed = 0, skipped = 0;
  for (const line of require('fs').readFileSync(0, 'utf8').split('\n')) {
    const m = line.match(/Tests\s+(.*)\(\d+\)\s*$/);
    if (!m) continue;
    for (const [, n, kind] of m[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
      if (kind === 'passed') passed += +n; else if (kind === 'failed') failed += +n; else skipped += +n;
    }
  }
  console.log(\`\${passed} passed, \${failed} failed, \${skipped} skipped\`);
  if (passed === 0 || failed > 0) process.exit(1);
"
