#!/usr/bin/env bash
# Stress the OCA and cluster tests the way a loaded 2-core CI machine does:
# run their test files N times (default 30, or $1) with two CPU-burning
# processes beside them, and print how many runs passed and failed.
# Not part of `npm test` (it takes minutes); run it after touching
# oca/miss-fill.ts, oca/title-routes.ts or the cluster code:
#   scripts/stress.sh          # 30 runs
#   scripts/stress.sh 5        # 5 runs
#   STRESS_FILES="test/oca/miss.test.ts" scripts/stress.sh 10
# Failed runs keep their tap output in $STRESS_LOG_DIR (default a temp dir).
set -u
cd "$(dirname "$0")/.."
runs="${1:-30}"
files="${STRESS_FILES:-$(ls test/oca/*.test.ts test/cluster/*.test.ts | tr '\n' ' ')}"
logs="${STRESS_LOG_DIR:-$(mktemp -d /tmp/oclab-stress.XXXXXX)}"
mkdir -p "$logs"

burners=()
tap_pid=''
# Each tap run gets its own process group (setsid) so an interrupt stops it and its test processes.
cleanup() {
  [ -n "$tap_pid" ] && kill -- "-$tap_pid" 2>/dev/null
  for p in "${burners[@]}"; do kill "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for _ in 1 2; do
  node -e 'for (;;) Math.sqrt(Math.random())' &
  burners+=("$!")
done

passed=0
failed=0
for i in $(seq 1 "$runs"); do
  # shellcheck disable=SC2086
  setsid npx tap --disable-coverage --reporter=terse $files >"$logs/run-$i.log" 2>&1 &
  tap_pid=$!
  wait "$tap_pid"
  rc=$?
  tap_pid=''
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    rm -f "$logs/run-$i.log"
  else
    failed=$((failed + 1))
    echo "run $i failed: $logs/run-$i.log"
  fi
  echo "after $i/$runs: passed=$passed failed=$failed"
done
echo "stress: runs=$runs passed=$passed failed=$failed (logs of failed runs in $logs)"
[ "$failed" -eq 0 ]
