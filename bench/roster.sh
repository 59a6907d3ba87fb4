#!/usr/bin/env bash
# The roster and the activity log at scale: seeds one tenant with EMPLOYEES employees (default
# 100,000) plus DELETED employees deleted since (default 10,000), with two years of activation
# history over the last two years (about 20 % deactivated once, half of those reactivated, each
# step within 90 days of the one before, deletions within 60 days) and the activity log of every
# request, 2 % of creates followed by a refused duplicate (409, the userName in capitals). The
# seed is written by the application itself (examples/seed.rs: `POST /Users`, `PATCH` and
# `DELETE` through `app::handle` on an in-memory SQLite database with the crate's migrations,
# each request at its time in the scenario) and loaded with `wrangler d1 execute --local`; the
# tenant and the tool's token come with it. Then it serves the worker with `wrangler dev` on
# that local D1, and prints p50/p99 answer
# times of the admin API (`GET .../employees` now and at a past time, with and without
# `eligible`, first and deep pages; `GET .../activity` unfiltered and filtered), then runs the
# retention Cron Trigger once and prints how many entries it removed and how long it took.
#
#   bench/roster.sh                      # 100,000 employees, 100 requests per case
#   EMPLOYEES=20000 N=50 bench/roster.sh
#
# Times are whole HTTP requests on loopback to workerd (local D1 = SQLite in-process): they show
# how the SQL scales, not production latency (a D1 round trip adds a network hop). Everything runs
# in a fresh directory under .bench/ (removed at exit); wrangler dev runs on a free port and is
# stopped by its process id. Needs python3 and curl.
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
cd "$ROOT"

EMPLOYEES="${EMPLOYEES:-100000}"
DELETED="${DELETED:-10000}"
N="${N:-100}"
TENANT="tnt_bench0000000000000000"
# The past time of the roster: a year ago.
PAST="$(python3 -c 'import datetime as d; print((d.datetime.now(d.timezone.utc) - d.timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%S.000Z"))')"

ensure_tools
build_worker

mkdir -p "$ROOT/.bench"
worker_init "$(mktemp -d "$ROOT/.bench/roster.XXXXXX")"
# Throughput beyond the per-token rate limit is what is measured here.
bench_unthrottle
RUN_DIR="$WORKER_DIR"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

say "building the seed tool (examples/seed.rs, release)"
cargo build --release --locked --quiet --example seed || die "the seed tool did not build"
say "writing $EMPLOYEES employees + $DELETED deleted ones through the application (examples/seed.rs)"
seed_start=$(date +%s)
cargo run --release --locked --quiet --example seed -- roster "$TENANT" "$EMPLOYEES" "$DELETED" >"$RUN_DIR/seed.sql" ||
  die "could not write the seed"
written=$(($(date +%s) - seed_start))

say "applying migrations and loading $(du -h "$RUN_DIR/seed.sql" | cut -f1) of SQL into a fresh local D1"
worker_d1 migrations apply
load_start=$(date +%s)
worker_d1 execute --file "$RUN_DIR/seed.sql" --yes
say "seeded in $((written + $(date +%s) - load_start)) s (SQL written in $written s, loaded in $(($(date +%s) - load_start)) s)"
worker_start

printf 'header = "Authorization: Bearer %s"\n' "$ADMIN_TOKEN" >"$RUN_DIR/curl.conf"
API="$ORIGIN/admin/v1/tenants/$TENANT"
# A cursor into the middle of the userName order (in the roster's own form: base64url of
# ["employees", at, eligible, total, key, id]), for a deep page at each time.
deep_cursor() {
  python3 -c 'import base64, json, sys; print(base64.urlsafe_b64encode(json.dumps(["employees", sys.argv[1], None, int(sys.argv[2]), "kai.", ""]).encode()).decode().rstrip("="))' "$1" "$2"
}
# A field of the first page of URL.
field() {
  curl -s -K "$RUN_DIR/curl.conf" "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
NOW="$(python3 -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"))')"

# measure LABEL URL: N timed requests after a few untimed ones; prints p50, p99 and the answer's
# size and total.
measure() {
  local label="$1" url="$2" i body
  body="$(curl -sf -K "$RUN_DIR/curl.conf" "$url")" || die "$label: $url failed: $(curl -s -K "$RUN_DIR/curl.conf" "$url" | head -c 300)"
  for i in 1 2 3; do curl -s -o /dev/null -K "$RUN_DIR/curl.conf" "$url"; done
  for ((i = 0; i < N; i++)); do
    curl -s -o /dev/null -w '%{time_total}\n' -K "$RUN_DIR/curl.conf" "$url"
  done | python3 -c '
import json, sys
label, body = sys.argv[1], json.loads(sys.argv[2])
t = sorted(float(x) * 1000 for x in sys.stdin)
pick = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
items = body.get("employees", body.get("entries", []))
total = body.get("total", "-")
print(f"{label:<50} p50 {pick(0.50):7.1f} ms   p99 {pick(0.99):7.1f} ms   ({len(items)} rows, total {total})")
' "$label" "$body"
}

say "measuring ($N requests per case, limit=100)"
echo "roster of $EMPLOYEES employees (+$DELETED deleted), $(date -u +%F)"
for when in now past; do
  if [ "$when" = now ]; then at=""; t="$NOW"; else at="&at=$PAST"; t="$PAST"; fi
  measure "employees $when (first page: page + count)" "$API/employees?limit=100$at"
  measure "employees $when, eligible=true" "$API/employees?limit=100&eligible=true$at"
  measure "employees $when, eligible=false" "$API/employees?limit=100&eligible=false$at"
  measure "employees $when, second page (cursor)" "$API/employees?limit=100&cursor=$(field "$API/employees?limit=100$at" next_cursor)"
  measure "employees $when, eligible=false, second page" \
    "$API/employees?limit=100&eligible=false&cursor=$(field "$API/employees?limit=100&eligible=false$at" next_cursor)"
  measure "employees $when, deep page (from \"kai.\")" "$API/employees?limit=100&cursor=$(deep_cursor "$t" "$(field "$API/employees?limit=1&at=$t" total)")"
done
measure "activity, newest" "$API/activity?limit=100"
USER_NAME="$(curl -s -K "$RUN_DIR/curl.conf" "$API/employees?limit=1&eligible=true" \
  | python3 -c 'import json, sys, urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["employees"][0]["userName"].upper()))')"
measure "activity, user=<a userName, in capitals>" "$API/activity?limit=100&user=$USER_NAME"
measure "activity, result=failure" "$API/activity?limit=100&result=failure"
measure "activity, operation=reactivate" "$API/activity?limit=100&operation=reactivate"

say "retention: the Cron Trigger once, now (entries older than 90 days go)"
start_ms=$(date +%s%3N)
outcome="$(curl -s "$ORIGIN/cdn-cgi/handler/scheduled?cron=17+3+*+*+*")"
elapsed=$(($(date +%s%3N) - start_ms))
sleep 0.5
removed="$(grep -o 'retention: removed [0-9]* activity-log entries[^"]*' "$RUN_DIR/wrangler.log" | tail -n 1)"
echo "retention run: outcome $outcome in $elapsed ms; ${removed:-no report in the log}"
measure "activity after retention, newest" "$API/activity?limit=100"
