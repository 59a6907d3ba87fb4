#!/usr/bin/env bash
# The roster and the activity log at scale: seeds one tenant with EMPLOYEES employees (default
# 100,000) plus DELETED employees deleted since (default 10,000), with two years of activation
# history over the last two years (about 20 % deactivated once, half of those reactivated) and one activity-log entry per
# history row; serves the worker with `wrangler dev` on that local D1; and prints p50/p99 answer
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
echo "SCIM_RATE_LIMIT=off" >>"$WORKER_DIR/vars"
RUN_DIR="$WORKER_DIR"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

say "generating $EMPLOYEES employees + $DELETED deleted ones, with history and activity log"
python3 - "$TENANT" "$EMPLOYEES" "$DELETED" >"$RUN_DIR/seed.sql" <<'PY'
import datetime, json, random, sys, time

tenant, n, deleted = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
DAY = 86_400_000
# Creations spread over two years ending 240 days ago; deactivations, reactivations and deletions
# follow within 240 days (so none is in the future, and some are in the last 90 days, which
# retention keeps).
start = int(time.time() * 1000) - 970 * DAY

def ts(ms):
    d = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)

def q(s):
    return "NULL" if s is None else "'" + str(s).replace("'", "''") + "'"

def insert(head, values):
    """INSERT statements of `values`, each under 90 KB (D1 refuses statements over 100 KB)."""
    batch, size = [], 0
    for v in values:
        if batch and size + len(v) > 90_000:
            out.write(head + ",\n".join(batch) + ";\n")
            batch, size = [], 0
        batch.append(v)
        size += len(v) + 2
    if batch:
        out.write(head + ",\n".join(batch) + ";\n")

out = sys.stdout
out.write(f"INSERT INTO tenants (id, name, active, created) VALUES ({q(tenant)}, 'Bench', 1, '2024-01-01T00:00:00.000Z');\n")
first_names = ["Ada", "Bo", "Cy", "Dee", "Eve", "Finn", "Gus", "Hal", "Ida", "Jo", "Kai", "Lu", "Max", "Ned", "Oli", "Pia"]
users, history = [], []
for i in range(n + deleted):
    uid = "%08x-%04x-4%03x-8%03x-%012x" % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), i)
    first = rnd.choice(first_names)
    name = f"{first if rnd.random() < 0.8 else first.upper()}.{i}@example.com"
    t = start + rnd.randrange(2 * 365 * DAY)
    steps = [(t, "create", 1)]
    active = 1
    if rnd.random() < 0.2:
        t += rnd.randrange(1, 90 * DAY)
        steps.append((t, "deactivate", 0))
        active = 0
        if rnd.random() < 0.5:
            t += rnd.randrange(1, 90 * DAY)
            steps.append((t, "reactivate", 1))
            active = 1
    if i >= n:
        t += rnd.randrange(1, 60 * DAY)
        steps.append((t, "delete", 0))
    else:
        users.append((uid, name, active, ts(steps[0][0]), ts(t)))
    for at, kind, a in steps:
        history.append((at, uid, kind, a, name))

values = []
for uid, name, active, created, modified in users:
    doc = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
           "name": {"givenName": "Given", "familyName": "Family"},
           "emails": [{"value": name, "type": "work", "primary": True}],
           "displayName": "Given Family", "locale": "en-US", "active": bool(active)}
    res = json.dumps(doc, separators=(",", ":"))
    values.append(f"({q(tenant)},{q(uid)},{q(name)},{q(name.lower())},{active},1,'seed',{q(created)},{q(modified)},"
                  f"{q(name)},{q(name.lower())},'Given','Family','Given Family','en-US',{q(res)},{q(res.lower())})")
insert("INSERT INTO users (tenant_id, id, user_name, user_name_fold, active, version, write_id, created, "
       "last_modified, email, email_fold, given_name, family_name, display_name, locale, resource, folded) VALUES\n", values)

history.sort()
status = {"create": 201, "deactivate": 200, "reactivate": 200, "delete": 204}
insert("INSERT INTO activation (tenant_id, user_id, at, kind, active, user_name, email, user_name_fold) VALUES\n",
       [f"({q(tenant)},{q(uid)},{q(ts(at))},{q(kind)},{a},{q(name)},{q(name)},{q(name.lower())})" for at, uid, kind, a, name in history])
entries = []
for at, uid, kind, a, name in history:
    if kind == "create" and rnd.random() < 0.02:
        # A refused duplicate shortly before the create went through.
        entries.append(f"({q(tenant)},{q(ts(at - 1000))},{q('%016x' % rnd.getrandbits(64))},'create',NULL,{q(name.upper())},409,"
                       f"{q('userName ' + name.upper() + ' is already taken in this tenant')},NULL,'Okta SCIM Client 1.0.0','tok_bench')")
    changes = "[]" if kind == "delete" else json.dumps([{"path": "active", "old": None if kind == "create" else (not a), "new": bool(a)}])
    entries.append(f"({q(tenant)},{q(ts(at))},{q('%016x' % rnd.getrandbits(64))},{q(kind)},{q(uid)},{q(name)},{status[kind]},NULL,"
                   f"{q(changes)},'Okta SCIM Client 1.0.0','tok_bench')")
insert("INSERT INTO events (tenant_id, at, request_id, operation, user_id, user_name, status, detail, changes, client, token_id) VALUES\n", entries)
PY

say "applying migrations and loading $(du -h "$RUN_DIR/seed.sql" | cut -f1) of SQL into a fresh local D1"
worker_d1 migrations apply
seed_start=$(date +%s)
worker_d1 execute --file "$RUN_DIR/seed.sql" --yes
say "seeded in $(($(date +%s) - seed_start)) s"
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
