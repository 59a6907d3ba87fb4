#!/usr/bin/env bash
# How each operation's time grows with the tenant: p50/p99 at 1,000, 10,000 and 100,000 users
# per tenant, under `wrangler dev` (workerd + a local D1), and the ratio of the largest size's
# p50 to the smallest's. The goal is every operation within 1.5× from 1,000 to 100,000 users;
# answers that count their matches (`totalResults` of an index page, the roster's `total`) are
# reported apart, since their count grows with the tenant. A figure, not a test: it asserts
# nothing about speed.
#
#   bench/scale.sh [SIZES]          SIZES: comma-separated user counts, default 1000,10000,100000
#   make bench-scale                the same
#   N=100 bench/scale.sh 1000,10000
#
# Settings (environment): N=300 samples per operation and size (N/2 for each DELETE row, N/4
# for the answers that count), CAP=240 seconds at most per operation (all sizes together), OPS=
# a comma list of operations (default all: filter_eq get patch_name put patch create delete
# patch_off delete_off co co_cursor cursor roster index roster_first).
#
# Operations: filter `userName eq`; GET of a user by id; PATCH of its displayName; PUT (the
# same user, displayName rewritten, `active` kept); PATCH `active` flipped; POST /Users; DELETE
# /Users/{id} (of the users the creates added, so the tenant keeps its size); the last two again
# with the mass-deactivation guard off. A deactivation and the deletion of an active user are
# the guard's losses: once they reach its minimum in its window (20 an hour by default), it
# counts the tenant's eligible employees on every further one. It is set to 100 % for the rows
# with the guard on, so that it counts at every size and trips at none (at 10 % the 1,000-user
# tenant would trip after 100 losses and hold the rest, which writes more). Then: filter
# `name.familyName co "ly1"` (111 of every 1,000 users; its first page by index counts them) and
# its cursor pages after the first (25 a page); cursor pages (RFC 9865) after the first of GET
# /Users; the roster's pages after the first (GET /admin/v1/tenants/{id}/employees, the admin
# API); the first index page of GET /Users and the roster's first page (both count). Walks count
# full pages only, and start again at the end.
#
# One tenant per size, created through the admin API, then filled with the users of
# examples/seed.rs's `query` scenario written through the application itself and loaded with
# `wrangler d1 execute --local` (bench/lib.sh, as bench/query.sh does: the API would take many
# minutes for 100,000 users). One worker serves them all, the tenants spread over its shards
# (each placed on the least full at its creation). Then bench/scale.py measures with one client
# on one keep-alive connection, the sizes interleaved.
#
# It builds the worker (scripts/lib.sh), starts `wrangler dev` on free ports with a database of
# its own under .bench/ (SCIM_RATE_LIMIT=off), and stops it by process id when done or
# interrupted; the directory is removed at exit. The printed report and the JSON lines go to
# .bench/scale-<time>.txt and .jsonl. Loopback only; every loop is bounded by N and CAP.
# On the busy 2-core machine: about 4 minutes to seed 111,000 users (a minute to write them, three
# to load 250 MB of SQL), about 5 to measure; 10 to 12 in all once the worker and the seed tool
# are built.
set -uo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
source "$ROOT/bench/lib.sh"
cd "$ROOT"

SIZES="${1:-${SIZES:-1000,10000,100000}}"
N="${N:-300}" CAP="${CAP:-240}" OPS="${OPS:-}"
[[ "$SIZES" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "SIZES must look like 1000,10000,100000, not '$SIZES'"
[[ "$N" =~ ^[1-9][0-9]*$ && "$CAP" =~ ^[1-9][0-9]*$ ]] || die "N and CAP must be positive integers"
for s in ${SIZES//,/ }; do
  [ "$s" -ge 201 ] || die "each size must be over 200 users (the cursor pages after the first need a second page of 100)"
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

started=$(date +%s)
ensure_tools
build_worker
seed_build

# Benchmarks keep wrangler's own per-request log out of the measured path.
export WORKER_LOG_LEVEL=warn
mkdir -p "$ROOT/.bench"
SITTING="$(date +%Y%m%d-%H%M%S)"
OUT_TXT="$ROOT/.bench/scale-$SITTING.txt"
OUT_JSON="$ROOT/.bench/scale-$SITTING.jsonl"
worker_init "$(mktemp -d "$ROOT/.bench/scale.XXXXXX")"
# Throughput beyond the per-token rate limit is what is measured here.
bench_unthrottle
RUN_DIR="$WORKER_DIR"
trap 'worker_cleanup; exit 130' INT
trap 'worker_cleanup; exit 143' TERM
trap worker_cleanup EXIT

say "a fresh local D1 in $RUN_DIR"
worker_d1 migrations apply
worker_start
say "creating one tenant per size ($SIZES) through the admin API"
python3 bench/scale.py tenants "$ORIGIN" "$ADMIN_TOKEN" "$SIZES" >"$RUN_DIR/tenants.json" || die "could not create the tenants"
# The database is written by one process at a time: the worker stops while the seed loads.
worker_stop
say "writing the users through the application (examples/seed.rs) and loading them"
seed_query "$RUN_DIR/tenants.json"
worker_start
commit="$(git rev-parse --short=12 HEAD)"
[ -z "$(git status --porcelain)" ] || commit="$commit+uncommitted"
say "measuring against $ORIGIN (N=$N, CAP=$CAP s per operation)"
{
  echo "bench/scale.sh $SITTING: sizes $SIZES, N=$N, CAP=$CAP; commit $commit"
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 }') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT_TXT"
python3 -u bench/scale.py measure "$ORIGIN" "$ADMIN_TOKEN" "$RUN_DIR/tenants.json" --n "$N" --cap "$CAP" \
  ${OPS:+--ops "$OPS"} --out "$OUT_JSON" | tee -a "$OUT_TXT"
rc="${PIPESTATUS[0]}"
[ "$rc" -eq 0 ] || die "the measurement failed (rc $rc)"
echo
echo "whole run: $(($(date +%s) - started)) s; this report: ${OUT_TXT#"$ROOT/"}; JSON lines: ${OUT_JSON#"$ROOT/"}"
