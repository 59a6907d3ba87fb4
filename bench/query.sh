#!/usr/bin/env bash
# Query latency of scim-edge under `wrangler dev` (workerd + a local D1), by tenant size.
#
#   bench/query.sh [SIZES]      SIZES: comma-separated user counts, default 1000,10000,100000
#
# One tenant per size, created through the admin API, then filled through `wrangler d1 execute
# --local` with the SQL of examples/seed.rs (the worker's API would take many minutes for
# 100,000 users): the tool writes the users with the application itself (`POST /Users` through
# `app::handle` on an in-memory SQLite database with the crate's migrations), so the rows,
# their folded copies, emails, history and activity log are what a create writes, and prints
# them with the column names the database has. Then, per tenant, p50/p99 of
#   - `userName eq` (random users), the look-up IdPs make before every create;
#   - a `co` filter (`name.familyName co "99"`, ~2% of users): two characters, shorter than a
#     trigram, so it reads every user;
#   - `startIndex` near the end (the last 100 users by index paging: OFFSET cost);
#   - a cursor walk (RFC 9865) of the whole tenant, 200 users a page (keyset: no OFFSET);
# and then, in a table of their own, substring filters of three characters and more, which the
# substring index answers (README, "Filters"): `co`, `sw` and `ew` on `name.familyName` and
# `emails`, matching one user at every size, about 1 % or 0.1 % of users, and every user (the
# index's worst case).
# Prints tables; asserts nothing about speed (that is for people to read).
#
# It builds the worker (scripts/lib.sh), starts `wrangler dev` on free ports with a database of
# its own under .bench/, and stops it, by process id, when done or interrupted.
set -uo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
cd "$ROOT"

SIZES="${1:-1000,10000,100000}"

ensure_tools
build_worker
say "building the seed tool (examples/seed.rs, release)"
cargo build --release --locked --quiet --example seed || die "the seed tool did not build"

# Benchmarks keep wrangler's own per-request log out of the measured path.
export WORKER_LOG_LEVEL=warn
mkdir -p "$ROOT/.bench"
worker_init "$(mktemp -d "$ROOT/.bench/run.XXXXXX")"
# Throughput beyond the per-token rate limit is what is measured here: lifted on wrangler dev's
# command line (bench/lib.sh; a line in the vars file is no longer read).
bench_unthrottle
RUN_DIR="$WORKER_DIR"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

say "a fresh local D1 in $RUN_DIR"
worker_d1 migrations apply
worker_start
say "creating one tenant per size ($SIZES) through the admin API"
python3 bench/query.py tenants "$ORIGIN" "$ADMIN_TOKEN" "$SIZES" >"$RUN_DIR/tenants.json" || die "could not create the tenants"
# The database is written by one process at a time: the worker stops while the seed runs.
worker_stop
say "writing the users through the application (examples/seed.rs)"
seed_started=$(date +%s)
# The tenants are on several shards (the least full at creation): each shard's database gets
# the SQL of its own tenants.
for binding in $(shard_bindings); do
  python3 - "$RUN_DIR/tenants.json" "$binding" >"$RUN_DIR/tenants-$binding.json" <<'PY'
import json, re, sys
def binding(t):
    m = re.fullmatch(r"tnt_(0|[1-9][0-9]{0,4})_.+", t)
    n = int(m.group(1)) if m else 0
    return "DB" if n == 0 else f"DB_{n}"
print(json.dumps([t for t in json.load(open(sys.argv[1])) if binding(t["tenant_id"]) == sys.argv[2]]))
PY
  [ "$(cat "$RUN_DIR/tenants-$binding.json")" != "[]" ] || continue
  cargo run --release --locked --quiet --example seed -- query "$RUN_DIR/tenants-$binding.json" \
    >"$RUN_DIR/seed-$binding.sql" || die "could not write the seed of $binding"
done
load_started=$(date +%s)
for binding in $(shard_bindings); do
  [ -s "$RUN_DIR/seed-$binding.sql" ] || continue
  say "loading $(du -h "$RUN_DIR/seed-$binding.sql" | cut -f1) of SQL into $binding (wrangler d1 execute --local)"
  D1_BINDING="$binding" worker_d1 execute --file "$RUN_DIR/seed-$binding.sql" --yes
done
say "seeded in $(($(date +%s) - seed_started)) s (SQL written in $((load_started - seed_started)) s, loaded in $(($(date +%s) - load_started)) s)"
worker_start
say "measuring against $ORIGIN"
python3 bench/query.py measure "$ORIGIN" "$RUN_DIR/tenants.json"
# Substring filters of three characters and more (the substring index). bench/query.py's own
# helpers time them: same client, same percentiles.
python3 - "$ORIGIN" "$RUN_DIR/tenants.json" <<'PY'
import http.client, json, sys
sys.path.insert(0, "bench")
from query import loopback, request, timings, users_path

FILTERS = [
    ('emails co "r777@"', "1 user"),
    ('name.familyName co "y99"', "~1.1 %"),
    ('name.familyName sw "family99"', "~1.1 %"),
    ('name.familyName ew "y99"', "0.1 %"),
    ('emails co "r99"', "~1.1 %"),
    ('emails co "example"', "all"),
]
origin, tenants_file = sys.argv[1], sys.argv[2]
conn = http.client.HTTPConnection(*loopback(origin), timeout=300)
rows = []
for t in json.load(open(tenants_file)):
    size, token = int(t["size"]), t["token"]
    cells = []
    for f, _ in FILTERS:
        print(f"  {size:,} users: {f}", file=sys.stderr, flush=True)
        samples = []
        for _ in range(30 if size >= 100000 else 50):
            body, ms = request(conn, "GET", users_path(filter=f, count=100), token)
            assert body["totalResults"] > 0, (f, body)
            samples.append(ms)
        cells.append(timings(samples))
    rows.append((size, cells))
print()
print("Substring filters of three characters and more, count=100; latency in ms, p50 / p99:")
print()
print("| users in the tenant | " + " | ".join(f"`{f}` ({share})" for f, share in FILTERS) + " |")
print("| ---: |" + " ---: |" * len(FILTERS))
for size, cells in rows:
    print(f"| {size:,} | " + " | ".join(cells) + " |")
PY
