#!/usr/bin/env bash
# What a statement of a D1 batch costs under `wrangler dev` (issue 22): builds bench/d1-probe
# (a worker like the team's ceiling worker whose routes send one read or one insert, alone or
# with N more statements in the same batch), serves it with `wrangler dev` on a fresh local D1
# seeded with the ceiling's 10,000 rows, and drives it with wrk (bench/statements.py): every
# variant at c=1 and c=8, RUNS rounds, the variants' order shuffled each round. It prints the
# median req/s and p50 of each, then what one more statement costs (p50 at c=1, req/s at c=8),
# trivial and long. This prices the statements of the worker's own batches (a create has 10,
# a deactivation 16: `cargo run --release --example batch_cost`), which the ceiling's one
# statement does not pay.
#
#   bench/statements.sh                  RUNS=3 SECONDS_PER_RUN=5
#
# Loopback only; each wrk run is bounded by SECONDS_PER_RUN; the worker is stopped by its
# process-group id at exit. Not part of `make test`. Needs: wrk (BENCH_ENV/bin/wrk, PATH or WRK;
# `apt-get install wrk`), python3, curl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$ROOT/scripts/lib.sh"
RUNS="${RUNS:-3}" SECONDS_PER_RUN="${SECONDS_PER_RUN:-5}"
BENCH_ENV="${BENCH_ENV:-/tmp/bench-env}"
for n in RUNS SECONDS_PER_RUN; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || die "$n must be a positive integer, not '${!n}'"
done
SEED="${SHARED_BENCH:-$ROOT/../shared/bench}/ceiling-worker/sql/seed.sql"
[ -f "$SEED" ] || die "the ceiling's seed is not at $SEED (set SHARED_BENCH to the team's bench)"
if [ -z "${WRK:-}" ]; then
  if [ -x "$BENCH_ENV/bin/wrk" ]; then WRK="$BENCH_ENV/bin/wrk"; else WRK="$(command -v wrk || true)"; fi
fi
[ -n "$WRK" ] && [ -x "$WRK" ] || die "wrk not found (apt-get install wrk, or set WRK)"
export WRANGLER_SEND_METRICS=false NO_UPDATE_NOTIFIER=1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

ensure_tools
PROBE="$ROOT/bench/d1-probe"
RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/d1-probe.XXXXXX")"
PID=""
trap 'stop_group "$PID"; rm -rf "$RUN_DIR"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building bench/d1-probe (worker-build --release --no-opt, like the ceiling worker)"
(cd "$PROBE" && CARGO_TARGET_DIR="$ROOT/target/d1-probe" "$WORKER_BUILD_BIN" --release --no-opt \
  >"$RUN_DIR/build.log" 2>&1) || { tail -30 "$RUN_DIR/build.log" >&2; die "the probe did not build"; }

WRANGLER="$ROOT/node_modules/.bin/wrangler"
say "seeding its local D1 (10,000 rows, the ceiling's seed)"
(cd "$PROBE" && "$WRANGLER" d1 execute DB --local --persist-to "$RUN_DIR/state" --file "$SEED" --yes \
  >"$RUN_DIR/seed.log" 2>&1) || { tail -20 "$RUN_DIR/seed.log" >&2; die "seeding failed"; }
port="$(free_port)"
(cd "$PROBE" && exec setsid "$WRANGLER" dev --ip 127.0.0.1 --port "$port" --persist-to "$RUN_DIR/state" \
  --show-interactive-dev-session=false --log-level warn >"$RUN_DIR/wrangler.log" 2>&1 </dev/null) &
PID=$!
wait_for_http "http://127.0.0.1:$port/single/1" 90 "$PID" || { tail -20 "$RUN_DIR/wrangler.log" >&2; die "the probe did not answer"; }
say "driving it: $RUNS rounds of ${SECONDS_PER_RUN} s per variant and concurrency"
python3 "$ROOT/bench/statements.py" "http://127.0.0.1:$port" "$WRK" "$RUNS" "$SECONDS_PER_RUN"
