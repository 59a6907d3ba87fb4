#!/usr/bin/env bash
# make test: every test of scim-edge.
#   1. host tests: `cargo test` (unit tests, and the whole app over rusqlite in tests/api);
#   2. end-to-end tests (tests/e2e) against the real worker under `wrangler dev`, with a fresh
#      local D1 (seeded with the purge test's tenant of 20,000 employees), on free ports;
#   3. the third-party SCIM conformance checkers against the same worker (scripts/conformance.sh);
#   4. the company admin's console in Debian's headless Chromium (tests/console, node --test with
#      playwright-core and axe-core) on a worker of its own with the static assets; screenshots
#      in target/console/;
#   5. crash consistency (scripts/crash.sh): SIGKILL in a burst of writes, restart, check the D1;
# and before them, the configuration: scripts/config_check.py (every binding, var and secret the
# code reads declared in each environment; the migrations apply to a fresh database), its own
# tests against broken copies, and `wrangler deploy --dry-run` for each environment; after the
# end-to-end suite, the scan of the worker's whole log for the suite's emails, userNames and
# tokens (tests/log_scan.rs).
#   5. webhook delivery end to end (scripts/webhooks.sh): receivers on 127.0.0.1, signatures
#      verified with the Standard Webhooks reference library, a SIGKILL between commit and
#      delivery (about 30 s).
# Right after the build, the worker's size: build/index_bg.wasm gzipped at level 9 against
# WASM_GZIP_BUDGET (scripts/lib.sh, README "The worker's size"); above it, make test fails.
# Exits non-zero when anything failed; stops everything it started, by process id.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

failures=()

# d1_json SQL [BINDING]: a local D1's answer to SQL, as wrangler's JSON (shard 0's, DB, unless
# BINDING names another shard).
d1_json() {
  CI=true "$ROOT/node_modules/.bin/wrangler" d1 execute "${2:-DB}" --local --persist-to "$WORKER_DIR/state" \
    --json --command "$1" 2>>"$WORKER_DIR/d1.log"
}

# check_shards: in every shard's local D1, every row of every tenant is on its tenant's shard
# (the mark in its id; an id without one: shard 0), and every shard holds at least one tenant
# with employees (tests/e2e/shards.rs creates one on each). Fails saying what it found where.
check_shards() {
  local binding tables sql out ok=0
  for binding in $(shard_bindings); do
    tables="$(d1_json "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%tenant_id %'" "$binding" |
      python3 -c 'import json, sys; print(" ".join(r["name"] for r in json.load(sys.stdin)[0]["results"]))')" ||
      return 1
    # One row: for each table, the JSON list of the tenants it has rows of.
    sql="SELECT (SELECT json_group_array(id) FROM tenants) AS tenants, (SELECT json_group_array(DISTINCT tenant_id) FROM users) AS with_users"
    for table in $tables; do
      sql+=", (SELECT json_group_array(DISTINCT tenant_id) FROM $table) AS $table"
    done
    out="$(d1_json "$sql" "$binding")" || return 1
    python3 - "$binding" "$out" <<'PY' || ok=1
import json, re, sys
binding = sys.argv[1]
try:
    row = json.loads(sys.argv[2])[0]["results"][0]
except Exception:
    print(f"shard {binding}: no answer: {sys.argv[2][:300]}", file=sys.stderr)
    sys.exit(1)
lists = {table: json.loads(value) for table, value in row.items()}
def shard(t):
    m = re.fullmatch(r"tnt_(0|[1-9][0-9]{0,4})_.+", t)
    return int(m.group(1)) if m and int(m.group(1)) < 65536 else 0
mine = 0 if binding == "DB" else int(binding.split("_")[1])
wrong = sorted({(t, tenant) for t, ids in lists.items() for tenant in ids if shard(tenant) != mine})
print(f"shard {binding}: {len(lists['tenants'])} tenants, {len(lists['with_users'])} with employees, "
      f"{len(wrong)} tables holding rows of another shard's tenants", file=sys.stderr)
for t, tenant in wrong[:10]:
    print(f"  {t}: rows of {tenant} (shard {shard(tenant)})", file=sys.stderr)
sys.exit(1 if wrong or not lists["with_users"] else 0)
PY
  done
  return $ok
}

# check_purged TENANT: fails (saying where) when any row of TENANT is left, or the substring
# index still owes the compaction that removes purged employees' trigrams from it.
check_purged() {
  local tenant="$1" tables sql left
  tables="$(d1_json "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql LIKE '%tenant_id %'" |
    python3 -c 'import json, sys; print(" ".join(r["name"] for r in json.load(sys.stdin)[0]["results"]))')" ||
    return 1
  sql="SELECT json_object('tenants', (SELECT count(*) FROM tenants WHERE id = '$tenant'), 'tenant_purges', (SELECT count(*) FROM tenant_purges WHERE id = '$tenant'), 'user_substrings_compaction', (SELECT count(*) FROM user_substrings_compaction)"
  for table in $tables; do
    sql+=", '$table', (SELECT count(*) FROM $table WHERE tenant_id = '$tenant')"
  done
  left="$(d1_json "$sql) AS rows" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["results"][0]["rows"])')" ||
    return 1
  echo "rows of $tenant left: $left" >&2
  python3 -c 'import json, sys; rows = json.loads(sys.argv[1]); sys.exit(1 if any(rows.values()) or len(rows) < 10 else 0)' "$left"
}
rm -f "$ROOT/target/e2e-wrangler.log"

# The console in Debian's headless Chromium (tests/console), on a worker of its own that serves
# the static assets (the end-to-end worker runs without them, so that the suite can run the Cron
# Triggers: wrangler dev 4.86 cannot with assets, see wrangler.toml). In a subshell: its worker,
# variables and traps are its own.
console_tests() (
  worker_init "$(mktemp -d "$ROOT/.e2e/console.XXXXXX")"
  trap 'worker_cleanup; exit 130' INT
  trap 'worker_cleanup; exit 143' TERM
  trap worker_cleanup EXIT
  worker_d1 migrations apply
  WORKER_ASSETS=1 worker_start
  rm -rf "$ROOT/target/console"
  SCIM_EDGE_URL="$ORIGIN" SCIM_EDGE_ADMIN_TOKEN="$ADMIN_TOKEN" CHROMIUM="$CHROMIUM_BIN" \
    CONSOLE_TEST_OUT="$ROOT/target/console" \
    timeout --foreground --kill-after=10 300 node --test --test-reporter=spec \
    "$ROOT/tests/console/console.test.mjs" 2>&1
)

ensure_tools
build_worker || die "the worker did not build"
# The release module's size against its budget (WASM_GZIP_BUDGET in scripts/lib.sh): a test, not
# a benchmark, since the build is deterministic.
wasm_size_check || failures+=("wasm size over budget")
chromium_ok=1
ensure_chromium || chromium_ok=0

say "configuration: scripts/config_check.py, its tests, and a dry run of each environment"
config_start=$(date +%s)
python3 "$ROOT/scripts/config_check.py" --migrations || failures+=("config check")
python3 "$ROOT/scripts/config_check_test.py" 2>&1 | tail -n 3 >&2
[ "${PIPESTATUS[0]}" -eq 0 ] || failures+=("config check tests")
for env in "" staging production; do
  dry_run "$env" || failures+=("dry run ${env:-local}")
done
say "configuration checked in $(($(date +%s) - config_start)) s"

say "host tests (cargo test)"
cargo test --locked --quiet 2>&1 || failures+=("host tests")

mkdir -p "$ROOT/.e2e"
worker_init "$(mktemp -d "$ROOT/.e2e/run.XXXXXX")"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

worker_d1 migrations apply
# The purge test's tenant (tests/e2e/purge.rs): 20,000 employees, loaded before the worker starts
# (generated by SQLite from a small file: seconds, where 20,000 creates over HTTP take minutes).
seed_start=$(date +%s)
worker_d1 execute --file "$ROOT/tests/e2e/seed/purge_20000.sql" --yes
say "seeded a tenant of 20,000 employees for the purge test in $(($(date +%s) - seed_start)) s"
# The shards test's tenant from before shards, with an old-format token (tests/e2e/shards.rs).
worker_d1 execute --file "$ROOT/tests/e2e/seed/shards.sql" --yes
worker_start
say "end-to-end tests against the worker under wrangler dev on $ORIGIN (fresh local D1)"
SCIM_EDGE_URL="$ORIGIN" SCIM_EDGE_ADMIN_TOKEN="$ADMIN_TOKEN" \
  SCIM_EDGE_BIG_TENANT="tnt_e2e_purge_20000" SCIM_EDGE_D1_STATE="$WORKER_DIR/state" \
  SCIM_EDGE_WORKER_LOG="$WORKER_DIR/wrangler.log" SCIM_EDGE_E2E_RECORD="$WORKER_DIR/e2e-record" \
  cargo test --locked --quiet --features e2e --test e2e 2>&1 || failures+=("end-to-end tests")

say "SCIM conformance checkers against the same worker"
"$ROOT/scripts/conformance.sh" "$ORIGIN" "$ADMIN_TOKEN" || failures+=("conformance")

# One more run of the purge Cron Trigger: it compacts the substring index if a purge of the
# suite (the tenant's, a deleted employee's) still owes it, so that what is read next is final.
curl -s --noproxy '*' --max-time 120 -o /dev/null \
  "$ORIGIN/cdn-cgi/handler/scheduled?cron=%2A%2F5+%2A+%2A+%2A+%2A" || failures+=("the last purge run")

# The purge test's tenant left no row: read from the local D1 with the worker stopped (another
# process opening it while the worker writes would make one of them fail with SQLITE_BUSY), in
# every table whose schema has a tenant_id, and its tenant row and purge entry; and the
# substring index, which has no tenant_id, owes no compaction (which would remove what purged
# employees left in it; its tests are host tests: tests/api/substrings.rs).
worker_stop
say "checking in the local D1 that the purged tenant left no row"
check_purged "tnt_e2e_purge_20000" || failures+=("purge left rows")
say "checking in each shard's local D1 that every tenant's rows are on its own shard"
check_shards || failures+=("rows on another shard")

# The worker's whole log of the run (the end-to-end suite and the conformance checkers): none of
# the emails, userNames, filter values and credentials the suite sent or was issued, and nothing
# of an email's or a token's shape (tests/log_scan.rs).
say "scanning the worker's log of the run for personal data and credentials"
scan_out="$(SCIM_EDGE_WORKER_LOG="$WORKER_DIR/wrangler.log" SCIM_EDGE_E2E_RECORD="$WORKER_DIR/e2e-record" \
  SCIM_EDGE_WORKER_DEBUG_LOG="$WORKER_DIR/wrangler-debug.log" \
  cargo test --locked --quiet --features e2e --test log_scan -- --nocapture 2>&1)"
scan_rc=$?
printf '%s\n' "$scan_out" | grep -vE '^(running [0-9]+ tests?|\.|)$' >&2
[ $scan_rc -eq 0 ] || failures+=("log scan")

say "the console in headless Chromium (tests/console: playwright-core, axe-core), on a worker of its own"
if [ "$chromium_ok" = 1 ]; then
  console_start=$(date +%s)
  console_tests || failures+=("console in Chromium")
  say "console tests: $(($(date +%s) - console_start)) s (worker start included); screenshots in target/console/"
else
  failures+=("console in Chromium (no Chromium)")
fi

# Crash consistency: wrangler dev of its own on fresh local D1s, SIGKILLed in the middle of a
# burst of writes and restarted (scripts/crash.sh; about a minute for its 3 runs).
say "crash consistency (3 runs: SIGKILL in a burst of writes, restart on the same D1)"
CRASH_SKIP_BUILD=1 timeout --foreground --kill-after=10 300 "$ROOT/scripts/crash.sh" 3 || failures+=("crash consistency")

say "webhook delivery end to end (a worker of its own, receivers on 127.0.0.1, a SIGKILL and restart)"
WEBHOOKS_SKIP_BUILD=1 timeout --foreground --kill-after=10 300 "$ROOT/scripts/webhooks.sh" || failures+=("webhooks")

if [ ${#failures[@]} -gt 0 ]; then
  cp "$WORKER_DIR/wrangler.log" "$ROOT/target/e2e-wrangler.log" 2>/dev/null || true
  echo >&2
  echo "FAILED: ${failures[*]}" >&2
  echo "(the worker's log of this run: target/e2e-wrangler.log)" >&2
  exit 1
fi
say "all tests passed"
