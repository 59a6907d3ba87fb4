#!/usr/bin/env bash
# make dev: build the worker, serve it with `wrangler dev` (workerd + a local D1) on
# 127.0.0.1:${PORT:-8787}, and hand the developer a tenant: its SCIM base URL and bearer token,
# printed and written to .dev/tenant.env (DESIGN §7); and the console's URL with a one-time
# sign-in link for the tenant's company admin.
#
# Stops what it started on Ctrl-C, on SIGTERM, and when its process group is killed (wrangler
# and workerd stay in this script's process group). Uses a free port for the inspector, so it
# can run beside `make test`.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PORT="${PORT:-8787}"
ORIGIN="http://127.0.0.1:$PORT"
ENV_FILE="$ROOT/.dev/tenant.env"
mkdir -p "$ROOT/.dev"

# The previous run's tenant: .dev/last-tenant keeps it even when a run stops before it writes
# tenant.env. The stale tenant.env goes now; it is written again only once the worker answers.
LAST_FILE="$ROOT/.dev/last-tenant"
PREV_TENANT_ID="" PREV_TOKEN=""
for f in "$ENV_FILE" "$LAST_FILE"; do
  if [ -z "$PREV_TENANT_ID" ] && [ -f "$f" ]; then
    PREV_TENANT_ID="$(sed -n 's/^TENANT_ID=//p' "$f")"
    PREV_TOKEN="$(sed -n 's/^SCIM_TOKEN=//p' "$f")"
  fi
done
rm -f "$ENV_FILE"

if curl -s -o /dev/null --max-time 1 "$ORIGIN/"; then
  die "something already listens on 127.0.0.1:$PORT; stop it or choose another port: PORT=8788 make dev"
fi

say "checking tools (the first run builds some of them and takes a few minutes)"
ensure_tools
build_worker || die "the worker did not build"

# The worker's secrets for local use (.dev.vars), random, generated once and kept, so that the
# development tenant's token keeps working from one run to the next: the operator's admin token
# and the key of token check values. A missing one, or one shorter than the 32 characters the
# worker requires (an older .dev.vars), is generated anew.
dev_secret() {
  [ -f .dev.vars ] || return 0
  sed -n "s/^$1=//p" .dev.vars | tail -n 1
}
ensure_dev_secret() {
  local name="$1" prefix="$2" current
  current="$(dev_secret "$name")"
  if [ "${#current}" -lt 32 ]; then
    if [ -n "$current" ]; then
      say "$name in .dev.vars is shorter than 32 characters: generating a new one"
    else
      say "generating $name into .dev.vars"
    fi
    (
      umask 077
      touch .dev.vars
      grep -v "^$name=" .dev.vars >.dev.vars.tmp || true
      echo "$name=$(random_secret "$prefix")" >>.dev.vars.tmp
      mv .dev.vars.tmp .dev.vars
    )
  fi
}
ensure_dev_secret ADMIN_TOKEN adm_
ensure_dev_secret CREDENTIAL_SECRET ""
ensure_dev_secret WEBHOOK_SECRET_KEY ""
ADMIN_TOKEN="$(dev_secret ADMIN_TOKEN)"

say "applying D1 migrations to the local databases, one per shard (.wrangler/state)"
for binding in $(shard_bindings); do
  D1_BINDING="$binding" migrations_preflight --local
  CI=true node_modules/.bin/wrangler d1 migrations apply "$binding" --local >/dev/null ||
    die "the migrations did not apply to shard $binding"
done

WRANGLER_PID=""
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$WRANGLER_PID" ]; then
    # wrangler and the workerd processes it started, by process id.
    local pids
    pids="$(descendants "$WRANGLER_PID") $WRANGLER_PID"
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    sleep 0.5
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
  fi
  rm -f "$ENV_FILE.tmp"
}
descendants() {
  local child
  for child in $(pgrep -P "$1" 2>/dev/null); do
    descendants "$child"
    echo "$child"
  done
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap cleanup EXIT

say "starting wrangler dev on $ORIGIN"
# Webhook endpoints on this machine's loopback (a receiver under development) are allowed here.
# The console's static assets on the command line (see wrangler.toml: with them, wrangler dev
# 4.86 cannot run the Cron Triggers; CONSOLE=off make dev serves without the console, for that).
ASSETS_ARGS=(--assets assets)
[ "${CONSOLE:-on}" != off ] || ASSETS_ARGS=()
node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$PORT" --inspector-port "$(free_port)" \
  --var WEBHOOK_ALLOW_LOOPBACK_HTTP:on --show-interactive-dev-session=false "${ASSETS_ARGS[@]}" &
WRANGLER_PID=$!
wait_for_http "$ORIGIN/scim/v2/ServiceProviderConfig" 60 "$WRANGLER_PID" \
  || die "wrangler dev did not answer on $ORIGIN"

# api METHOD PATH [BODY]: the admin API; prints the body, then the status on its own line.
api() {
  curl -s --max-time 10 -X "$1" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' ${3:+-d "$3"} -w '\n%{http_code}' "$ORIGIN/admin/v1$2"
}
json_field() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read())[sys.argv[1]])' "$1"; }

TENANT_ID="" SCIM_TOKEN=""
if [ -n "$PREV_TENANT_ID" ]; then
  out="$(api GET "/tenants/$PREV_TENANT_ID")"
  if [ "${out##*$'\n'}" = 200 ]; then
    TENANT_ID="$PREV_TENANT_ID"
    if [ "$(printf '%s' "${out%$'\n'*}" | json_field active)" != True ]; then
      say "re-enabling the development tenant"
      api PATCH "/tenants/$TENANT_ID" '{"active": true}' >/dev/null
    fi
    status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
      -H "Authorization: Bearer $PREV_TOKEN" "$ORIGIN/scim/v2/Users?count=1")"
    if [ "$status" != 401 ] && [ "$status" != 000 ]; then
      SCIM_TOKEN="$PREV_TOKEN"
    fi
  fi
fi
if [ -z "$TENANT_ID" ]; then
  out="$(api POST /tenants '{"name": "Development"}')"
  [ "${out##*$'\n'}" = 201 ] || die "could not create the development tenant: ${out%$'\n'*}"
  TENANT_ID="$(printf '%s' "${out%$'\n'*}" | json_field id)"
  SCIM_TOKEN="$(printf '%s' "${out%$'\n'*}" | json_field token)"
  say "created the development tenant $TENANT_ID"
elif [ -z "$SCIM_TOKEN" ]; then
  out="$(api POST "/tenants/$TENANT_ID/tokens" '{"label": "make dev"}')"
  [ "${out##*$'\n'}" = 201 ] || die "could not issue a token: ${out%$'\n'*}"
  SCIM_TOKEN="$(printf '%s' "${out%$'\n'*}" | json_field token)"
  say "issued a new token for the development tenant $TENANT_ID"
else
  say "reusing the development tenant $TENANT_ID and its token"
fi

CONSOLE_NOTE=""
[ "${CONSOLE:-on}" != off ] || CONSOLE_NOTE="  (not served: CONSOLE=off)"
# A sign-in link for the development tenant's company admin (one use, 15 minutes): the console.
SIGN_IN_URL=""
out="$(api POST "/tenants/$TENANT_ID/sign-in-links" '{"email": "admin@example.com"}')"
if [ "${out##*$'\n'}" = 201 ]; then
  SIGN_IN_URL="$(printf '%s' "${out%$'\n'*}" | json_field url)"
else
  SIGN_IN_URL="(none: ${out%$'\n'*})"
fi

umask 077
cat >"$ENV_FILE.tmp" <<EOF
SCIM_BASE_URL=$ORIGIN/scim/v2
SCIM_TOKEN=$SCIM_TOKEN
ADMIN_URL=$ORIGIN
ADMIN_TOKEN=$ADMIN_TOKEN
TENANT_ID=$TENANT_ID
EOF
printf 'TENANT_ID=%s\nSCIM_TOKEN=%s\n' "$TENANT_ID" "$SCIM_TOKEN" >"$LAST_FILE"
mv "$ENV_FILE.tmp" "$ENV_FILE"

cat >&2 <<EOF

  scim-edge is serving on $ORIGIN

  SCIM base URL   $ORIGIN/scim/v2
  Bearer token    $SCIM_TOKEN
  Tenant          $TENANT_ID
  Admin API       $ORIGIN/admin/v1/  (Authorization: Bearer \$ADMIN_TOKEN, from .dev.vars)

  Console         $ORIGIN/console/${CONSOLE_NOTE:-}
  Sign-in link    $SIGN_IN_URL
                  (admin@example.com; works once, for 15 minutes; another: make sign-in-link)

  These values are in .dev/tenant.env:  source .dev/tenant.env
  Stop with Ctrl-C.

EOF
wait "$WRANGLER_PID"
