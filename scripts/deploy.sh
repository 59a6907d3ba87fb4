#!/usr/bin/env bash
# make deploy ENV=staging|production: the configuration check, the build, the remote D1
# migrations (in order, stopping at the first that fails), `wrangler deploy`, and a look at
# /healthz. Needs `npx wrangler login` (or CLOUDFLARE_API_TOKEN) and the first-deploy steps of
# docs/operations.md. Stops at the first step that fails; nothing after it runs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ENV="${1:-}"
case "$ENV" in
  staging | production) ;;
  *) die "usage: make deploy ENV=staging|production (the top level of wrangler.toml is local development, never deployed)" ;;
esac
wrangler() { CI=true node_modules/.bin/wrangler "$@"; }

say "1/6 checking the configuration of $ENV (scripts/config_check.py --deploy $ENV --migrations)"
python3 scripts/config_check.py --deploy "$ENV" --migrations

say "2/6 building the worker"
ensure_tools
build_worker || die "the worker did not build"
dry_run "$ENV"

say "3/6 checking that $ENV's secrets are set (wrangler secret list --env $ENV)"
required="$(python3 -c 'import sys, tomllib; print(" ".join(tomllib.load(open("wrangler.toml", "rb"))["env"][sys.argv[1]]["secrets"]["required"]))' "$ENV")"
set_secrets="$(wrangler secret list --env "$ENV" --format json)" ||
  die "could not list $ENV's secrets (logged in? first deploy: docs/operations.md, step 3)"
missing="$(python3 -c '
import json, sys
have = {s["name"] for s in json.loads(sys.argv[1])}
print(" ".join(n for n in sys.argv[2].split() if n not in have))' "$set_secrets" "$required")"
[ -z "$missing" ] || die "$ENV lacks the secrets: $missing (npx wrangler secret put NAME --env $ENV)"

say "4/6 applying the remote migrations of $ENV to every shard, in order, stopping at the first failure"
# Shard by shard (DB, then DB_1, ...): wrangler applies a shard's pending migrations one by one,
# in file-name order, each in a transaction, and stops (exit status 1) at the first that fails:
# the ones before it stay applied, it and the ones after it do not. The first shard that fails
# stops this script, saying which, before the next shards and before the deploy; the shards
# before it keep their migrations (they apply to the code already deployed, and to the new).
for binding in $(shard_bindings "$ENV"); do
  say "   shard $binding"
  D1_BINDING="$binding" migrations_preflight --remote --env "$ENV"
  wrangler d1 migrations apply "$binding" --remote --env "$ENV" ||
    die "the migrations of shard $binding ($ENV) failed: nothing was deployed, and the shards after it were not migrated; fix it and run make deploy ENV=$ENV again"
done

say "5/6 deploying (wrangler deploy --env $ENV)"
wrangler deploy --env "$ENV"

host="$(python3 -c '
import sys, tomllib
r = tomllib.load(open("wrangler.toml", "rb"))["env"][sys.argv[1]]["routes"][0]
print((r["pattern"] if isinstance(r, dict) else r).split("/")[0])' "$ENV")"
say "6/6 asking https://$host/healthz (a new custom domain can take a few minutes)"
for _ in $(seq 1 30); do
  if out="$(curl -s --max-time 10 "https://$host/healthz")" && printf '%s' "$out" | grep -q '"status":"ok"'; then
    say "$ENV is up: $out"
    say "SCIM base URL for the identity providers: https://$host/scim/v2"
    exit 0
  fi
  sleep 10
done
die "https://$host/healthz did not answer ok within 5 minutes (last: ${out:-no answer}); see docs/operations.md, Reading the logs"
