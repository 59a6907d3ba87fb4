#!/usr/bin/env bash
# crash.sh [RUNS]: crash consistency (issue 13), RUNS times (default 3), each on a fresh local D1:
#   1. start wrangler dev (scripts/lib.sh worker_start: its own process group) and create a
#      tenant with 10 users;
#   2. a burst of concurrent creates and PATCHes from 8 threads, and SIGKILL to the runtime's
#      whole process group (wrangler, workerd) after a random number (40-160) of acknowledged
#      writes, with writes in flight;
#   3. restart wrangler dev on the same persisted D1: every acknowledged user is served with
#      its PATCHes, and the worker takes a new write;
#   4. stop it, and read the D1 file: every acknowledged write is there with its activity-log
#      entry; every write is whole or absent (a user with its creation entry, its activation
#      history and its email rows, or none of them; an email row never without its user; a
#      PATCH's email with its entry, or neither); refused writes are absent; the tenant's usage
#      counts its rows. On the first run, the same check must find each of a few damages done to
#      copies of the database (an entry, a user row or an email row removed, an orphan email row,
#      the usage off by one): a check that cannot fail proves nothing.
# Needs the worker built (make build; scripts/test.sh builds it first). Prints each run's figures
# and `crash consistency: N of N runs consistent`; exits non-zero otherwise.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
RUNS="${1:-3}"

if [ "${CRASH_SKIP_BUILD:-0}" != 1 ]; then
  ensure_tools
  build_worker || die "the worker did not build"
fi

# The local D1's SQLite file in a worker's state directory that holds the run's tenant (one
# database per shard; the tenant is on one of them).
d1_file() {
  local f tenant
  tenant="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tenant"])' "$WORKER_DIR/record.json")" || return 1
  for f in $(find "$WORKER_DIR/state" -name '*.sqlite' ! -name 'metadata.sqlite' 2>/dev/null); do
    if python3 -c 'import sqlite3, sys; c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True); sys.exit(0 if c.execute("SELECT 1 FROM tenants WHERE id = ?", (sys.argv[2],)).fetchone() else 1)' "$f" "$tenant" 2>/dev/null; then
      echo "$f"
      return 0
    fi
  done
  return 1
}

mkdir -p "$ROOT/.e2e"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

passed=0
start_all=$(date +%s)
for ((run = 1; run <= RUNS; run++)); do
  run_start=$(date +%s)
  say "crash consistency, run $run of $RUNS"
  worker_init "$(mktemp -d "$ROOT/.e2e/crash.XXXXXX")"
  worker_d1 migrations apply
  WORKER_LOG_LEVEL=warn worker_start
  # It is going to be killed: no job notice from bash ("Killed") for it.
  disown "$WRANGLER_PID" 2>/dev/null || true
  ok=1
  if ! python3 "$ROOT/scripts/crash_consistency.py" burst "$ORIGIN" "$ADMIN_TOKEN" "$WRANGLER_PID" \
    "$WORKER_DIR/record.json" "$((run * 7919 + $(date +%s) % 1000))"; then
    ok=0
  fi
  # The group is gone (the burst killed it, or stop it now); restart on the same state.
  worker_stop
  if [ $ok = 1 ]; then
    WORKER_LOG_LEVEL=warn worker_start
    python3 "$ROOT/scripts/crash_consistency.py" api "$ORIGIN" "$WORKER_DIR/record.json" || ok=0
    worker_stop
    db="$(d1_file)" || { echo "no D1 file under $WORKER_DIR/state" >&2; ok=0; }
    [ $ok = 0 ] || python3 "$ROOT/scripts/crash_consistency.py" db "$db" "$WORKER_DIR/record.json" || ok=0
    # Once: the check itself must see a damaged database.
    [ $ok = 0 ] || [ "$run" != 1 ] ||
      python3 "$ROOT/scripts/crash_consistency.py" selftest "$db" "$WORKER_DIR/record.json" || ok=0
  fi
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
    rm -rf "$WORKER_DIR"
  else
    mkdir -p "$ROOT/target"
    rm -rf "$ROOT/target/crash-run-$run"
    cp -r "$WORKER_DIR" "$ROOT/target/crash-run-$run" 2>/dev/null || true
    echo "run $run INCONSISTENT (its database, record and log: target/crash-run-$run)" >&2
    rm -rf "$WORKER_DIR"
  fi
  WORKER_DIR=""
  echo "run $run: $(($(date +%s) - run_start)) s"
done
say "crash consistency: $passed of $RUNS runs consistent ($(($(date +%s) - start_all)) s)"
[ "$passed" = "$RUNS" ]
