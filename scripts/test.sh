#!/usr/bin/env bash
# make test: every test of scim-edge.
#   1. host tests: `cargo test` (unit tests, and the whole app over rusqlite in tests/api);
#   2. end-to-end tests (tests/e2e) against the real worker under `wrangler dev`, with a fresh
#      local D1, on free ports;
#   3. the third-party SCIM conformance checkers against the same worker (scripts/conformance.sh).
# Exits non-zero when anything failed; stops everything it started, by process id.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

failures=()
rm -f "$ROOT/target/e2e-wrangler.log"
step() { say "$1"; }

ensure_tools
build_worker || die "the worker did not build"

step "host tests (cargo test)"
cargo test --locked --quiet 2>&1 || failures+=("host tests")

RUN_DIR="$(mktemp -d "$ROOT/.e2e/run.XXXXXX" 2>/dev/null || { mkdir -p "$ROOT/.e2e"; mktemp -d "$ROOT/.e2e/run.XXXXXX"; })"
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

# A fresh local D1 and admin token for this run only.
ADMIN_TOKEN="adm_test_$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
printf 'ADMIN_TOKEN=%s\n' "$ADMIN_TOKEN" >"$RUN_DIR/vars"
PORT="$(free_port)"
ORIGIN="http://127.0.0.1:$PORT"

step "starting the worker under wrangler dev on $ORIGIN (fresh local D1)"
if ! CI=true node_modules/.bin/wrangler d1 migrations apply DB --local --persist-to "$RUN_DIR/state" \
  >"$RUN_DIR/migrations.log" 2>&1; then
  cat "$RUN_DIR/migrations.log" >&2
  die "could not apply the migrations"
fi
# setsid: wrangler and its workerd processes get a process group of their own, stopped by id.
setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$(free_port)" \
  --persist-to "$RUN_DIR/state" --env-file "$RUN_DIR/vars" --show-interactive-dev-session=false \
  >"$RUN_DIR/wrangler.log" 2>&1 </dev/null &
WRANGLER_PID=$!
if ! wait_for_http "$ORIGIN/scim/v2/ServiceProviderConfig" 60 "$WRANGLER_PID"; then
  cat "$RUN_DIR/wrangler.log" >&2
  die "wrangler dev did not answer on $ORIGIN"
fi

step "end-to-end tests against wrangler dev"
SCIM_EDGE_URL="$ORIGIN" SCIM_EDGE_ADMIN_TOKEN="$ADMIN_TOKEN" \
  cargo test --locked --quiet --features e2e --test e2e 2>&1 || failures+=("end-to-end tests")

if [ -x "$ROOT/scripts/conformance.sh" ]; then
  step "SCIM conformance checkers against wrangler dev"
  "$ROOT/scripts/conformance.sh" "$ORIGIN" "$ADMIN_TOKEN" || failures+=("conformance")
fi

if [ ${#failures[@]} -gt 0 ]; then
  cp "$RUN_DIR/wrangler.log" "$ROOT/target/e2e-wrangler.log" 2>/dev/null || true
  echo >&2
  echo "FAILED: ${failures[*]}" >&2
  echo "(the worker's log of this run: target/e2e-wrangler.log)" >&2
  exit 1
fi
say "all tests passed"
