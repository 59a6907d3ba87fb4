#!/usr/bin/env bash
# Query latency of scim-edge under `wrangler dev` (workerd + a local D1), by tenant size.
#
#   bench/query.sh [SIZES]      SIZES: comma-separated user counts, default 1000,10000,100000
#
# One tenant per size, created through the admin API, then filled with generated SQL through
# `wrangler d1 execute --local` (the API would take minutes for 100,000 users): the same rows
# and documents a create writes. Then, per tenant, p50/p99 of
#   - `userName eq` (random users), the look-up IdPs make before every create;
#   - a `co` filter (`name.familyName co "99"`, ~2% of users), which reads every user;
#   - `startIndex` near the end (the last 100 users by index paging: OFFSET cost);
#   - a cursor walk (RFC 9865) of the whole tenant, 200 users a page (keyset: no OFFSET).
# Prints a table; asserts nothing about speed (that is for people to read).
#
# It builds the worker (scripts/lib.sh), starts `wrangler dev` on free ports with a database of
# its own under .bench/, and stops it, by process id, when done or interrupted.
set -uo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

SIZES="${1:-1000,10000,100000}"

ensure_tools
build_worker

mkdir -p "$ROOT/.bench"
RUN_DIR="$(mktemp -d "$ROOT/.bench/run.XXXXXX")"
WRANGLER_PID=""
cleanup() {
  if [ -n "$WRANGLER_PID" ]; then
    stop_group "$WRANGLER_PID"
    WRANGLER_PID=""
  fi
  rm -rf "$RUN_DIR"
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

ADMIN_TOKEN="adm_bench_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
printf 'ADMIN_TOKEN=%s\n' "$ADMIN_TOKEN" >"$RUN_DIR/vars"
PORT="$(free_port)"
ORIGIN="http://127.0.0.1:$PORT"

d1() {
  CI=true node_modules/.bin/wrangler d1 "$@" DB --local --persist-to "$RUN_DIR/state" >"$RUN_DIR/d1.log" 2>&1 || {
    cat "$RUN_DIR/d1.log" >&2
    die "wrangler d1 $1 failed"
  }
}

start_worker() {
  setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$(free_port)" \
    --persist-to "$RUN_DIR/state" --env-file "$RUN_DIR/vars" --show-interactive-dev-session=false \
    --log-level warn >>"$RUN_DIR/wrangler.log" 2>&1 </dev/null &
  WRANGLER_PID=$!
  wait_for_http "$ORIGIN/scim/v2/ServiceProviderConfig" 60 "$WRANGLER_PID" || {
    cat "$RUN_DIR/wrangler.log" >&2
    die "wrangler dev did not answer on $ORIGIN"
  }
}

stop_worker() {
  stop_group "$WRANGLER_PID"
  WRANGLER_PID=""
}

say "a fresh local D1 in $RUN_DIR"
d1 migrations apply
start_worker
say "creating one tenant per size ($SIZES) through the admin API"
python3 bench/query.py tenants "$ORIGIN" "$ADMIN_TOKEN" "$SIZES" >"$RUN_DIR/tenants.json" || die "could not create the tenants"
# The database is written by one process at a time: the worker stops while the seed runs.
stop_worker
say "seeding the users with generated SQL (wrangler d1 execute --local)"
python3 bench/query.py seed "$RUN_DIR/tenants.json" >"$RUN_DIR/seed.sql" || die "could not generate the seed"
seed_started=$(date +%s)
d1 execute --file "$RUN_DIR/seed.sql" --yes
say "seeded in $(($(date +%s) - seed_started)) s"
start_worker
say "measuring against $ORIGIN"
python3 bench/query.py measure "$ORIGIN" "$RUN_DIR/tenants.json"
