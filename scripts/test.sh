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

ensure_tools
build_worker || die "the worker did not build"

say "host tests (cargo test)"
cargo test --locked --quiet 2>&1 || failures+=("host tests")

mkdir -p "$ROOT/.e2e"
worker_init "$(mktemp -d "$ROOT/.e2e/run.XXXXXX")"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

worker_d1 migrations apply
worker_start
say "end-to-end tests against the worker under wrangler dev on $ORIGIN (fresh local D1)"
SCIM_EDGE_URL="$ORIGIN" SCIM_EDGE_ADMIN_TOKEN="$ADMIN_TOKEN" \
  cargo test --locked --quiet --features e2e --test e2e 2>&1 || failures+=("end-to-end tests")

say "SCIM conformance checkers against the same worker"
"$ROOT/scripts/conformance.sh" "$ORIGIN" "$ADMIN_TOKEN" || failures+=("conformance")

if [ ${#failures[@]} -gt 0 ]; then
  cp "$WORKER_DIR/wrangler.log" "$ROOT/target/e2e-wrangler.log" 2>/dev/null || true
  echo >&2
  echo "FAILED: ${failures[*]}" >&2
  echo "(the worker's log of this run: target/e2e-wrangler.log)" >&2
  exit 1
fi
say "all tests passed"
