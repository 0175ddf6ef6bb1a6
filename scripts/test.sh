#!/usr/bin/env bash
# The one test command (README, CI): install what is missing, then on the machine's Node build, type-check,
# lint and test everything (`pnpm test`) and run the bounded stress suite (`pnpm test:stress`); then run every
# package's test suite again on each Node major of $TEST_NODES (default: 24; `TEST_NODES="22 24"` adds 22,
# `TEST_NODES=` skips), its binary installed from the npm registry's `node` package into a temporary folder.
# Ends with one summary line per Node; exits 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Tests write temporary configs, pid folders and certificates under os.tmpdir() and some leave them behind:
# they land here and go away with the run instead of piling up in /tmp.
mkdir "$work/tmp"
export TMPDIR="$work/tmp"

# "passed failed skipped" summed over vitest's "Tests  N passed (M)" lines of a log (ANSI colours stripped).
tally() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | node -e "
    let passed = 0, failed = 0, skipped = 0;
    for (const line of require('fs').readFileSync(0, 'utf8').split('\n')) {
      const m = line.match(/Tests\s+(.*)\(\d+\)\s*$/);
      if (!m) continue;
      for (const [, n, kind] of m[1].matchAll(/(\d+) (passed|failed|skipped|todo)/g)) {
        if (kind === 'passed') passed += +n; else if (kind === 'failed') failed += +n; else skipped += +n;
      }
    }
    console.log(passed, failed, skipped);
  "
}

summaries=()
status=0
# Appends one summary line for a finished run: its Node, what ran, the time, the counts; a run that exited
# non-zero, or counted no passing test, fails the whole script.
summarize() { # <node version> <what> <log> <exit code> <seconds>
  local passed failed skipped
  read -r passed failed skipped < <(tally "$3")
  local line="node $1 ($2, $(($5 / 60))m$(($5 % 60))s): $passed passed, $failed failed, $skipped skipped"
  if [ "$4" -ne 0 ] || [ "$passed" -eq 0 ] || [ "$failed" -gt 0 ]; then
    line="$line: FAILED (exit $4)"
    status=1
  fi
  summaries+=("$line")
}

machine_node=$(node --version)
log="$work/machine.log"
start=$SECONDS
rc=0
pnpm test 2>&1 | tee "$log" || rc=$?
if [ "$rc" -eq 0 ] && node -e "process.exit(require('./package.json').scripts['test:stress'] ? 0 : 1)"; then
  pnpm test:stress 2>&1 | tee -a "$log" || rc=$?
fi
summarize "$machine_node" "pnpm test + test:stress" "$log" "$rc" $((SECONDS - start))

# The other Nodes run every workspace package's own `test` script, one package at a time (vitest, plus
# size-limit where the package has it), on what `pnpm test` built above: builds, types and lint do not depend
# on the Node that runs them.
if [ "$status" -eq 0 ]; then
  mapfile -t packages < <(pnpm -r --workspace-concurrency=1 exec node -e \
    "const p = require('./package.json'); if (p.scripts && p.scripts.test) console.log(p.name)")
  # soketi, the third-party server of the core's echo.js test, ships a uWebSockets.js binary for the machine's
  # Node only: it keeps running on that one (packages/core/tests/support/soketi.ts) while the tests move on.
  SOKETI_NODE=$(command -v node)
  export SOKETI_NODE
  for major in ${TEST_NODES-24}; do
    start=$SECONDS
    echo "› Node $major: installing node@$major from the npm registry"
    if ! npm install --prefix "$work/node$major" --no-save --no-audit --no-fund --loglevel=error "node@$major" \
      >/dev/null; then
      summaries+=("node $major: FAILED to install node@$major from the npm registry")
      status=1
      continue
    fi
    node_bin="$work/node$major/node_modules/node/bin"
    # The Node the packages' scripts see (pnpm runs `node` from PATH), not merely the one installed.
    version=$(PATH="$node_bin:$PATH" pnpm --filter @react-reverb/core exec node --version)
    if [ "$version" = "$machine_node" ]; then
      summaries+=("node $version: the machine's Node, not run twice")
      continue
    fi
    log="$work/node$major.log"
    rc=0
    # One package after another, each whatever happened before (`pnpm -r --no-bail run test` did not go on
    # to the other packages after a failure in test-helpers, which they all depend on).
    for package in "${packages[@]}"; do
      echo "› $package on Node $version"
      # vitest and every process a test starts (process.execPath) run on the node first on PATH.
      PATH="$node_bin:$PATH" pnpm --filter "$package" test 2>&1 | tee -a "$log" || rc=$?
    done
    summarize "$version" "${#packages[@]} packages' tests" "$log" "$rc" $((SECONDS - start))
  done
else
  for major in ${TEST_NODES-24}; do summaries+=("node $major: not run (the run on $machine_node failed)"); done
fi

printf '%s\n' "${summaries[@]}"
exit "$status"
