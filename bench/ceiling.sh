#!/usr/bin/env bash
# scim-edge against the team's ceiling worker and the peer SCIM servers, in one sitting, under
# `wrangler dev` (workerd + a local D1). `make bench` runs it on the working tree. The ceiling
# worker (SHARED_BENCH/ceiling-worker) is the least a workers-rs worker can do: `d1read` is one
# D1 point read, `d1insert` one D1 insert. The product is measured relative to it, so that a
# refactor or a speed issue is judged by ratios measured side by side.
#
#   bench/ceiling.sh [REV ...]     each REV a git revision, or `worktree` (the default: the
#                                  current working tree, uncommitted changes included)
#   RUNS=1 REQUESTS=300 USERS=300 bench/ceiling.sh 70cb035 worktree
#   PEERS= bench/ceiling.sh        without the peers
#
# Settings (environment): RUNS=3 runs, REQUESTS=1000 requests per run, CONC=1,8 connections,
# CAP=30 seconds at most per run, USERS=2000 users seeded per SCIM server, WARMUP=200 unmeasured
# requests per target and operation, PEERS="scim2-server scimmy" (the team's peers, as
# SHARED_BENCH/run_peers.sh serves them; empty for none), SHARED_BENCH (the team's bench; default
# ../shared/bench from the project root, then from the main checkout when this is a git
# worktree), BENCH_ENV (where the shared setup.sh installs things; default /tmp/bench-env), WRK
# (default: $BENCH_ENV/bin/wrk, then wrk on PATH), WORKER_LOG_LEVEL=warn (wrangler's log level,
# the same for every server so that neither pays for a per-request log the other skips).
#
# What it does: it runs SHARED_BENCH/setup.sh first when BENCH_ENV lacks anything (the ceiling
# worker's build, wrangler, the peers' packages, wrk), handing it this project's wasm-bindgen and
# worker-build when their versions match, under a lock; setup.sh installs from the package
# registries only. Each REV is checked out with `git worktree add --detach` under .bench/, built
# there by that revision's own scripts/lib.sh (ensure_tools; build_worker) and served by
# `wrangler dev` on a free port with a fresh local D1 holding that revision's migrations and
# SCIM_RATE_LIMIT=off; a tenant is created through the admin API and USERS users are seeded
# through POST /Users, once. The ceiling worker (built by SHARED_BENCH/setup.sh into BENCH_ENV)
# runs under `wrangler dev` too, on its own fresh local D1 seeded with its sql/seed.sql (10,000
# rows); each peer on a free port with a random token, seeded with USERS users as well. All
# servers stay up together. The load is the team's driver (bench.py's seed and wrk runner, with
# bench.lua) called by bench/ceiling.py, plus bench/pair.lua for the read-then-write pairs:
# product and peers get, filter, list, create, patch, getpatch (GET then PATCH of the same user
# on one connection) and ceiling d1read, d1insert, readinsert (its read then its insert), at each
# concurrency; run 1 of every target and operation, then run 2, and so on (the target order
# turns each run), so that a noisy minute does not land on one target only.
#
# Reading the output: first one line per target, operation and concurrency, as bench.py prints
# them: median req/s, p50 and p99 (ms, wrk's closed-loop latency) over the runs, errors, requests
# per run, and each run's req/s. Then a Markdown table per revision, with today's goal beside
# each ratio of those medians:
#   get, filter `userName eq`   ÷ ceiling d1read     (one SCIM read vs one bare D1 read)
#   create, PATCH alone         ÷ ceiling d1insert   (one SCIM write vs one bare D1 insert)
#   PATCH after a GET           the ceiling's insert after its read vs the PATCH after its GET:
#                               mean latency of each write timed alone in its pair, inverted
#                               (C ÷ mean latency is req/s in a closed loop)
#   list, 100 a page            ÷ the revision's own get
# 1.00 would be the product at the ceiling's speed; a refactor that costs nothing keeps its ratios.
# Then every SCIM server's operations relative to its own get (the peers beside the product).
# With several REVs, a last table divides each by the first REV. `*` marks a ratio whose runs
# had errors, a failed run or hit CAP. The machine is small and shared: read ratios from one
# sitting, never absolute numbers across sittings, and look at the per-run spread. The raw
# per-run records (JSON lines, with each REV's commit) go to .bench/ceiling-<time>.jsonl and the
# printed report to .bench/ceiling-<time>.txt, wrangler's and the peers' logs to
# .bench/ceiling-<time>.logs/; the script says where at the end.
#
# Loopback only; every wrk run is bounded by REQUESTS and CAP, seeding by 600 s. Temporary
# worktrees, databases and tokens live under .bench/ and are removed at exit; every server is
# stopped by its process(-group) id at exit, on Ctrl-C and on SIGTERM. Not part of `make test`.
# Needs: python3, curl, git, and for the setup rustup/cargo, node with npm (and apt-get for wrk).
set -uo pipefail

PROJECT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${RUNS:-3}" REQUESTS="${REQUESTS:-1000}" CONC="${CONC:-1,8}" CAP="${CAP:-30}"
USERS="${USERS:-2000}" WARMUP="${WARMUP:-200}"
PEERS="${PEERS-scim2-server scimmy}"
BENCH_ENV="${BENCH_ENV:-/tmp/bench-env}"
export WORKER_LOG_LEVEL="${WORKER_LOG_LEVEL:-warn}"
export WRANGLER_SEND_METRICS=false NO_UPDATE_NOTIFIER=1
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

# bench_unthrottle (this checkout's bench/lib.sh), applied to each revision's worker_start.
# shellcheck source=bench/lib.sh
source "$PROJECT/bench/lib.sh"

# Own names (bc_*), so that sourcing a revision's scripts/lib.sh cannot replace them.
bc_say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
bc_die() { printf 'bench/ceiling.sh: %s\n' "$*" >&2; exit 1; }
bc_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
# bc_stop PID: TERM the process group PID leads, KILL what is left after 10 s. By id only.
bc_stop() {
  local pid="$1" i
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
# bc_wait_http URL SECONDS PID: until URL answers (any status); fails when PID died or time is up.
bc_wait_http() {
  local url="$1" seconds="$2" pid="$3" i
  for ((i = 0; i < seconds * 5; i++)); do
    curl -s -o /dev/null --max-time 2 "$url" && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
# bc_fg CMD...: runs CMD in a process group of its own and waits for it. The wait can be
# interrupted, so a signal reaches the trap at once, and the trap stops the whole group by id.
FG_PID=""
bc_fg() {
  setsid "$@" </dev/null &
  FG_PID=$!
  wait "$FG_PID"
  local rc=$?
  FG_PID=""
  return "$rc"
}

# ---- checks, before anything is built or started ----
REVS=("$@")
[ ${#REVS[@]} -gt 0 ] || REVS=(worktree)
for n in RUNS REQUESTS CAP USERS; do
  [[ "${!n}" =~ ^[1-9][0-9]*$ ]] || bc_die "$n must be a positive integer, not '${!n}'"
done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || bc_die "WARMUP must be a number"
[[ "$CONC" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || bc_die "CONC must look like 1,8, not '$CONC'"
command -v python3 >/dev/null && command -v curl >/dev/null && command -v git >/dev/null \
  || bc_die "python3, curl and git are needed"

if [ -n "${SHARED_BENCH:-}" ]; then
  [ -f "$SHARED_BENCH/bench.py" ] || bc_die "SHARED_BENCH=$SHARED_BENCH has no bench.py (the team's shared bench)"
else
  # ../shared/bench from the project root; in a git worktree, also from the main checkout.
  tried=("$PROJECT/../shared/bench")
  main_checkout="$(cd "$PROJECT" && cd "$(git rev-parse --path-format=absolute --git-common-dir)/.." && pwd)"
  [ "$main_checkout" = "$PROJECT" ] || tried+=("$main_checkout/../shared/bench")
  for d in "${tried[@]}"; do
    if [ -f "$d/bench.py" ]; then SHARED_BENCH="$d"; break; fi
  done
  [ -n "${SHARED_BENCH:-}" ] || bc_die "the team's shared bench is not at ${tried[*]}; set SHARED_BENCH to its directory"
fi
SHARED_BENCH="$(cd "$SHARED_BENCH" && pwd)"
for f in bench.py bench.lua ceiling-worker/sql/seed.sql; do
  [ -f "$SHARED_BENCH/$f" ] || bc_die "$SHARED_BENCH/$f is missing"
done
CEILING_SRC="$BENCH_ENV/ceiling-worker"
CEILING_WRANGLER="$BENCH_ENV/node/node_modules/.bin/wrangler"
for peer in $PEERS; do
  case "$peer" in scim2-server | scimmy) ;; *) bc_die "unknown peer '$peer' (PEERS: scim2-server scimmy)" ;; esac
done
# Everything SHARED_BENCH/setup.sh installs, for what this sitting uses.
bc_ready() {
  [ -f "$CEILING_SRC/build/index_bg.wasm" ] && [ -x "$CEILING_WRANGLER" ] || return 1
  [ -x "$BENCH_ENV/bin/wrk" ] || command -v wrk >/dev/null || [ -n "${WRK:-}" ] || return 1
  case " $PEERS " in *" scim2-server "*) [ -x "$BENCH_ENV/venv/bin/uvicorn" ] || return 1 ;; esac
  case " $PEERS " in *" scimmy "*) [ -d "$BENCH_ENV/node/node_modules/scimmy-routers" ] || return 1 ;; esac
}
if ! bc_ready; then
  # setup.sh is idempotent; the lock keeps two sittings from running it at once. This project's
  # wasm-bindgen and worker-build (scripts/lib.sh's cache) are handed over: setup.sh takes them
  # when their versions are the ones it wants, and builds its own otherwise.
  bc_say "setting up the shared bench in $BENCH_ENV ($SHARED_BENCH/setup.sh; package registries only)"
  mkdir -p "$BENCH_ENV"
  BENCH_ENV="$BENCH_ENV" flock "$BENCH_ENV.lock" bash -c \
    'source "$1/scripts/lib.sh" && ensure_tools && exec "$2/setup.sh"' setup "$PROJECT" "$SHARED_BENCH" >&2 \
    || bc_die "$SHARED_BENCH/setup.sh failed"
  bc_ready || bc_die "$SHARED_BENCH/setup.sh ran, but $BENCH_ENV still lacks the ceiling worker, wrk or a peer"
fi
if [ -n "${WRK:-}" ]; then :; elif [ -x "$BENCH_ENV/bin/wrk" ]; then WRK="$BENCH_ENV/bin/wrk"; else WRK="$(command -v wrk || true)"; fi
[ -n "$WRK" ] && [ -x "$WRK" ] || bc_die "wrk not found (run $SHARED_BENCH/setup.sh, or set WRK)"

# Resolve every REV before building anything: label, directory, commit.
LABELS=() COMMITS=()
for rev in "${REVS[@]}"; do
  for l in "${LABELS[@]}"; do [ "$l" != "$rev" ] || bc_die "$rev is given twice"; done
  if [ "$rev" = worktree ]; then
    c="$(git -C "$PROJECT" rev-parse --short=12 HEAD)"
    [ -z "$(git -C "$PROJECT" status --porcelain)" ] || c="$c+uncommitted"
  else
    c="$(git -C "$PROJECT" rev-parse --verify --quiet "$rev^{commit}")" || bc_die "$rev is not a revision of this repository"
    c="$(git -C "$PROJECT" rev-parse --short=12 "$c")"
  fi
  LABELS+=("$rev") COMMITS+=("$c")
done

# ---- state, and the clean-up of everything this run creates ----
mkdir -p "$PROJECT/.bench"
SITTING="$(date +%Y%m%d-%H%M%S)"
RUN="$(mktemp -d "$PROJECT/.bench/ceiling-run.XXXXXX")"
OUT_JSON="$PROJECT/.bench/ceiling-$SITTING.jsonl"
OUT_TXT="$PROJECT/.bench/ceiling-$SITTING.txt"
LOGS="$PROJECT/.bench/ceiling-$SITTING.logs"
SERVERS=() WORKTREES=()
CLEANED=""
bc_cleanup() {
  [ -z "$CLEANED" ] || return 0
  CLEANED=1
  trap '' INT TERM
  bc_stop "$FG_PID"
  local p w
  for p in "${SERVERS[@]}" ${WRANGLER_PID:-}; do bc_stop "$p"; done
  # wrangler's and the peers' logs (warnings and errors at the default level) outlive the run
  # directory.
  for w in "$RUN"/worker-* "$RUN/ceiling" "$RUN"/peer-*; do
    for f in wrangler.log server.log; do
      [ -s "$w/$f" ] || continue
      mkdir -p "$LOGS" && cp "$w/$f" "$LOGS/$(cat "$w/label" 2>/dev/null || basename "$w").log"
    done
  done
  for w in "${WORKTREES[@]}"; do
    git -C "$PROJECT" worktree remove --force "$w" >/dev/null 2>&1 \
      || printf 'bench/ceiling.sh: could not remove the worktree %s (git worktree remove --force)\n' "$w" >&2
  done
  rm -rf "$RUN"
}
trap 'bc_cleanup; exit 130' INT
trap 'bc_cleanup; exit 143' TERM
trap bc_cleanup EXIT

# ---- build every revision (each with its own scripts/lib.sh) ----
DIRS=()
for i in "${!LABELS[@]}"; do
  label="${LABELS[$i]}"
  if [ "$label" = worktree ]; then
    dir="$PROJECT"
    target_env=()
  else
    dir="$RUN/rev-$i-${COMMITS[$i]}"
    bc_say "$label: git worktree add --detach $dir"
    git -C "$PROJECT" worktree add --quiet --detach "$dir" "${COMMITS[$i]}" >&2 || bc_die "git worktree add failed for $label"
    WORKTREES+=("$dir")
    # The checked-out revisions share one cargo target directory (dependencies built once);
    # the lock keeps two sittings from building into it at once.
    target_env=(env CARGO_TARGET_DIR="$PROJECT/.bench/cargo-target")
  fi
  [ -f "$dir/scripts/lib.sh" ] || bc_die "$label has no scripts/lib.sh"
  bc_say "$label (${COMMITS[$i]}): ensure_tools; build_worker (its scripts/lib.sh)"
  mkdir -p "$PROJECT/.bench"
  bc_fg flock "$PROJECT/.bench/cargo-target.lock" "${target_env[@]}" bash -c \
    'source "$1/scripts/lib.sh" && ensure_tools && build_worker' build "$dir" \
    || bc_die "$label: the build failed"
  DIRS+=("$dir")
done

# ---- serve every revision: fresh local D1, rate limit off, a tenant ----
TARGETS="$RUN/targets.tsv"
: >"$TARGETS"
for i in "${!LABELS[@]}"; do
  label="${LABELS[$i]}" dir="${DIRS[$i]}"
  # shellcheck disable=SC1091
  source "$dir/scripts/lib.sh"
  for f in worker_init worker_d1 worker_start; do
    declare -F "$f" >/dev/null || bc_die "$label: its scripts/lib.sh has no $f (the worker harness came in 2606953)"
  done
  worker_init "$RUN/worker-$i"
  printf '%s' "$label" | tr -c 'A-Za-z0-9._-' '_' >"$WORKER_DIR/label"
  # Throughput beyond the per-token rate limit is what is measured here: on wrangler dev's
  # command line (bench/lib.sh), and in the vars file for a revision whose wrangler dev read
  # every var from it.
  bench_unthrottle
  echo "SCIM_RATE_LIMIT=off" >>"$WORKER_DIR/vars"
  bc_say "$label: a fresh local D1 with its migrations; wrangler dev"
  # wrangler reads the wrangler.toml (and so the migrations) of the directory it runs in.
  (cd "$dir" && worker_d1 migrations apply) || bc_die "$label: its migrations did not apply"
  worker_start
  SERVERS+=("$WRANGLER_PID")
  WRANGLER_PID=""
  token="$(python3 "$PROJECT/bench/ceiling.py" tenant "$ORIGIN" "$ADMIN_TOKEN")" || bc_die "$label: could not create a tenant"
  bc_say "$label: $ORIGIN (wrangler pid ${SERVERS[-1]})"
  printf 'product\t%s\t%s\t%s\t%s\n' "$label" "${COMMITS[$i]}" "$ORIGIN/scim/v2" "$token" >>"$TARGETS"
done

# ---- the ceiling worker, as run_ceiling.sh serves it, on a D1 of its own ----
CEIL="$RUN/ceiling"
mkdir -p "$CEIL"
bc_say "ceiling: a fresh local D1 with ceiling-worker/sql/seed.sql (10,000 rows)"
(cd "$CEILING_SRC" && CI=true XDG_CONFIG_HOME="$CEIL/.config" "$CEILING_WRANGLER" d1 execute DB --local \
  --persist-to "$CEIL/state" --file "$SHARED_BENCH/ceiling-worker/sql/seed.sql" >"$CEIL/seed.log" 2>&1) \
  || { cat "$CEIL/seed.log" >&2; bc_die "could not seed the ceiling's D1"; }
port="$(bc_port)"
(cd "$CEILING_SRC" && CI=true XDG_CONFIG_HOME="$CEIL/.config" exec setsid "$CEILING_WRANGLER" dev \
  --ip 127.0.0.1 --port "$port" --inspector-port "$(bc_port)" --persist-to "$CEIL/state" \
  --show-interactive-dev-session=false --log-level "$WORKER_LOG_LEVEL" >"$CEIL/wrangler.log" 2>&1 </dev/null) &
SERVERS+=("$!")
bc_wait_http "http://127.0.0.1:$port/static" 90 "${SERVERS[-1]}" \
  || { cat "$CEIL/wrangler.log" >&2; bc_die "the ceiling worker did not answer on 127.0.0.1:$port"; }
bc_say "ceiling: http://127.0.0.1:$port (wrangler pid ${SERVERS[-1]})"
ceiling_rev="wasm-sha256:$(sha256sum "$CEILING_SRC/build/index_bg.wasm" | cut -c1-12)"
printf 'ceiling\tceiling\t%s\t%s\t\n' "$ceiling_rev" "http://127.0.0.1:$port" >>"$TARGETS"

# ---- the peers, as SHARED_BENCH/run_peers.sh serves them: each on a free port, a random token ----
for peer in $PEERS; do
  dir="$RUN/peer-$peer"
  mkdir -p "$dir"
  printf '%s' "$peer" >"$dir/label"
  port="$(bc_port)"
  token="$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')"
  case "$peer" in
    scim2-server) # python-scim's ASGI app under uvicorn (uvloop, httptools), one process
      (cd "$dir" && BENCH_TOKEN="$token" PYTHONPATH="$SHARED_BENCH/peers" exec setsid "$BENCH_ENV/venv/bin/uvicorn" \
        scim2_server_app:asgi_app --host 127.0.0.1 --port "$port" --no-access-log --log-level warning \
        >"$dir/server.log" 2>&1 </dev/null) &
      base="http://127.0.0.1:$port/v2"
      version="scim2-server $("$BENCH_ENV/venv/bin/python" -c 'import importlib.metadata as m; print(m.version("scim2-server"))')" ;;
    scimmy) # scimmy + scimmy-routers on express, node, in-memory store
      (cd "$dir" && BENCH_TOKEN="$token" PORT="$port" NODE_PATH="$BENCH_ENV/node/node_modules" exec setsid node \
        "$SHARED_BENCH/peers/scimmy-server.mjs" >"$dir/server.log" 2>&1 </dev/null) &
      base="http://127.0.0.1:$port/scim/v2"
      version="scimmy $(node -p 'require(process.argv[1]).version' "$BENCH_ENV/node/node_modules/scimmy/package.json")" ;;
  esac
  SERVERS+=("$!")
  bc_wait_http "$base/ServiceProviderConfig" 60 "${SERVERS[-1]}" \
    || { cat "$dir/server.log" >&2; bc_die "$peer did not answer on 127.0.0.1:$port"; }
  bc_say "$peer: $base (pid ${SERVERS[-1]})"
  printf 'peer\t%s\t%s\t%s\t%s\n' "$peer" "$version" "$base" "$token" >>"$TARGETS"
done

# ---- measure, interleaved ----
bc_say "measuring: RUNS=$RUNS REQUESTS=$REQUESTS CONC=$CONC CAP=$CAP USERS=$USERS WARMUP=$WARMUP; targets: ${LABELS[*]} ceiling $PEERS"
{
  echo "bench/ceiling.sh $SITTING: RUNS=$RUNS REQUESTS=$REQUESTS CONC=$CONC CAP=$CAP USERS=$USERS WARMUP=$WARMUP WORKER_LOG_LEVEL=$WORKER_LOG_LEVEL"
  for i in "${!LABELS[@]}"; do echo "  ${LABELS[$i]} = ${COMMITS[$i]}"; done
  echo "  ceiling = $CEILING_SRC ($ceiling_rev; shared bench: $SHARED_BENCH)"
  awk -F'\t' '$1 == "peer" { print "  " $2 " = " $3 " (in memory)" }' "$TARGETS"
  echo "  machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(free -g | awk '/^Mem:/ { print $2 }') GiB; load $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT_TXT"
bc_fg python3 -u "$PROJECT/bench/ceiling.py" measure "$TARGETS" --shared "$SHARED_BENCH" --wrk "$WRK" \
  --out "$OUT_JSON" --workdir "$RUN" --sitting "$SITTING" --users "$USERS" --runs "$RUNS" \
  --requests "$REQUESTS" --conc "$CONC" --cap "$CAP" --warmup "$WARMUP" --progress \
  > >(tee -a "$OUT_TXT")
rc=$?
sleep 0.2 # let tee finish writing
[ "$rc" -eq 0 ] || bc_die "the measurement failed (rc $rc)"
echo
echo "raw per-run records (JSON lines): ${OUT_JSON#"$PROJECT/"}; this report: ${OUT_TXT#"$PROJECT/"};"
echo "wrangler's logs (kept at exit): ${LOGS#"$PROJECT/"}/"
