#!/usr/bin/env bash
# Webhook delivery end to end (issue 19; tests/webhooks/e2e.py): a worker of its own under
# `wrangler dev` on a fresh local D1 (loopback http endpoints allowed, the retry schedule
# shortened to "1s 2s 60s 3s"), receivers on 127.0.0.1 started by the test, every signature
# verified with the Standard Webhooks reference library (PyPI `standardwebhooks`, pinned in
# tests/webhooks/requirements.txt, installed once into .venv/webhooks).
#
#   scripts/webhooks.sh            the scenarios, then the crash: a change committed while its
#                                  endpoint is down, wrangler SIGKILLed (its process group) and
#                                  restarted on the same D1, the Cron Trigger fired: delivered.
#   scripts/webhooks.sh latency [N]  prints the delivery latency (write answered -> receiver),
#                                  p50 and p99, over N writes (default 200); not a test.
#
# WEBHOOKS_SKIP_BUILD=1 skips the build (make test has built the worker). Stops what it started.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

VENV="$ROOT/.venv/webhooks"
REQUIREMENTS="$ROOT/tests/webhooks/requirements.txt"
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
if ! [ -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  say "webhooks: installing the Standard Webhooks reference library into .venv/webhooks (pip, from PyPI)"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2 || die "webhooks: python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
    -r "$REQUIREMENTS" >&2 || die "webhooks: pip install failed"
  echo "$want" >"$VENV/.requirements.sha256"
fi
PY="$VENV/bin/python"

if [ "${WEBHOOKS_SKIP_BUILD:-0}" != 1 ]; then
  ensure_tools
  build_worker || die "the worker did not build"
fi
mkdir -p "$ROOT/.e2e"
worker_init "$(mktemp -d "$ROOT/.e2e/webhooks.XXXXXX")"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT
worker_d1 migrations apply
worker_start
export SCIM_EDGE_URL="$ORIGIN" SCIM_EDGE_ADMIN_TOKEN="$ADMIN_TOKEN" no_proxy="127.0.0.1,localhost"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY

if [ "${1:-}" = latency ]; then
  "$PY" "$ROOT/tests/webhooks/e2e.py" latency "${2:-200}"
  rc=$?
  cp "$WORKER_DIR/wrangler.log" "$ROOT/target/webhooks-latency-wrangler.log" 2>/dev/null || true
  exit $rc
fi

failed=0
"$PY" "$ROOT/tests/webhooks/e2e.py" scenarios || failed=1
state="$WORKER_DIR/crash.json"
if "$PY" "$ROOT/tests/webhooks/e2e.py" crash-prepare "$state"; then
  # The runtime dies at once: SIGKILL to wrangler's whole process group, then a restart on the
  # same local D1 (its in-memory queue is gone with it).
  kill -KILL -- "-$WRANGLER_PID" 2>/dev/null || true
  wait "$WRANGLER_PID" 2>/dev/null
  WRANGLER_PID=""
  worker_start
  export SCIM_EDGE_URL="$ORIGIN"
  "$PY" "$ROOT/tests/webhooks/e2e.py" crash-check "$state" || failed=1
else
  failed=1
fi
if [ $failed -ne 0 ]; then
  cp "$WORKER_DIR/wrangler.log" "$ROOT/target/webhooks-wrangler.log" 2>/dev/null || true
  echo "webhooks: FAILED (the worker's log: target/webhooks-wrangler.log)" >&2
  exit 1
fi
say "webhooks: all passed"
