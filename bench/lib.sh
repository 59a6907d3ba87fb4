# What the benchmarks share (sourced after scripts/lib.sh; defines functions, runs nothing by
# itself). bench/scale.sh, bench/roster.sh and bench/ceiling.sh use it; bench/query.sh does the
# seeding steps inline.
#
#   bench_unthrottle         makes worker_start (scripts/lib.sh) start `wrangler dev` with
#                            `--var SCIM_RATE_LIMIT:off`, which lifts the per-token rate limit
#                            (1,000 requests in 10 s) that a benchmark goes beyond. A line
#                            SCIM_RATE_LIMIT=off in WORKER_DIR/vars does not: with `[secrets]
#                            required` in wrangler.toml, wrangler dev reads only the secrets' names
#                            from that file. An older scripts/lib.sh without `--var` on its command
#                            line is left as it is (its wrangler dev read every var from the file).
#   seed_build               builds the seed tool (examples/seed.rs, release)
#   seed_query TENANTS_JSON  fills each tenant of TENANTS_JSON ([{"size", "tenant_id",
#                            "token_id", ...}], the tenants the admin API created on the worker of
#                            worker_init) with `size` users of examples/seed.rs's `query` scenario
#                            (user<i>@example.com, i = 1..size; family names Family<i mod 1000>;
#                            one in ten inactive), written through the application itself and
#                            loaded with `wrangler d1 execute --local --file`, each shard's tenants
#                            into that shard's database. The worker must be stopped meanwhile: the
#                            database is written by one process at a time. Prints the times.

bench_unthrottle() {
  local def
  def="$(declare -f worker_start)" || { echo "bench_unthrottle: source scripts/lib.sh first" >&2; return 1; }
  case "$def" in
    *"SCIM_RATE_LIMIT:off"*) ;;
    *"--var "*) eval "${def/--var /--var SCIM_RATE_LIMIT:off --var }" ;;
  esac
}

seed_build() {
  say "building the seed tool (examples/seed.rs, release)"
  (cd "$ROOT" && cargo build --release --locked --quiet --example seed) || die "the seed tool did not build"
}

seed_query() {
  local tenants="$1" binding started loaded
  [ -n "$WORKER_DIR" ] || die "seed_query: worker_init first"
  started=$(date +%s)
  for binding in $(shard_bindings); do
    # The tenants were placed on several shards (the least full at creation).
    python3 - "$tenants" "$binding" >"$WORKER_DIR/tenants-$binding.json" <<'PY'
import json, re, sys
def binding(t):
    m = re.fullmatch(r"tnt_(0|[1-9][0-9]{0,4})_.+", t)
    n = int(m.group(1)) if m else 0
    return "DB" if n == 0 else f"DB_{n}"
print(json.dumps([t for t in json.load(open(sys.argv[1])) if binding(t["tenant_id"]) == sys.argv[2]]))
PY
    rm -f "$WORKER_DIR/seed-$binding.sql"
    [ "$(cat "$WORKER_DIR/tenants-$binding.json")" != "[]" ] || continue
    (cd "$ROOT" && cargo run --release --locked --quiet --example seed -- query "$WORKER_DIR/tenants-$binding.json") \
      >"$WORKER_DIR/seed-$binding.sql" || die "could not write the seed of $binding"
  done
  loaded=$(date +%s)
  for binding in $(shard_bindings); do
    [ -s "$WORKER_DIR/seed-$binding.sql" ] || continue
    say "loading $(du -h "$WORKER_DIR/seed-$binding.sql" | cut -f1) of SQL into $binding (wrangler d1 execute --local)"
    D1_BINDING="$binding" worker_d1 execute --file "$WORKER_DIR/seed-$binding.sql" --yes
    rm -f "$WORKER_DIR/seed-$binding.sql"
  done
  say "seeded in $(($(date +%s) - started)) s (SQL written in $((loaded - started)) s, loaded in $(($(date +%s) - loaded)) s)"
}
