# scim-edge. The two commands a developer needs:
#   make dev    build and serve the worker locally (wrangler dev + local D1), with a dev tenant
#   make test   every test: host tests, end-to-end tests against wrangler dev, conformance
#   make fuzz   10^6 generated inputs through the filter parser, PATCH and the body parser
#   make crash  the crash-consistency runs alone (make test runs them too)
#   make deploy ENV=staging|production   (docs/operations.md)
#   make sign-in-link  a new one-time console sign-in link for the dev tenant (make dev running)
#   make bench  the worker against the team's ceiling worker and peers (figures, not a test)
#   make bench-scale   p50/p99 per operation at 1,000, 10,000 and 100,000 users per tenant
.PHONY: dev test fuzz crash build deploy clean sign-in-link bench bench-scale

dev:
	@scripts/dev.sh

test:
	@scripts/test.sh

# A new one-time sign-in link to the console for the development tenant's admin (EMAIL=, default
# admin@example.com), while `make dev` runs.
sign-in-link:
	@test -f .dev/tenant.env || { echo "make dev is not running (no .dev/tenant.env)" >&2; exit 1; }
	@. ./.dev/tenant.env && curl -sf -X POST -H "Authorization: Bearer $$ADMIN_TOKEN" \
	  -H 'Content-Type: application/json' -d "{\"email\": \"$${EMAIL:-admin@example.com}\"}" \
	  "$$ADMIN_URL/admin/v1/tenants/$$TENANT_ID/sign-in-links" | \
	  python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])'

# Unoptimised on purpose: overflow checks and debug assertions stay on, as in `cargo test`
# (release builds wrap on overflow: the bug this found would pass there). INPUTS=, SEED= to vary.
fuzz:
	@cargo run --locked --quiet --example fuzz -- $(or $(INPUTS),1000000) $(or $(SEED),13)

crash:
	@scripts/crash.sh $(or $(RUNS),3)

# The release build of the worker into build/ (installs the tools it needs first).
build:
	@bash -c 'source scripts/lib.sh && ensure_tools && build_worker'

# Deploy to Cloudflare: make deploy ENV=staging|production (docs/operations.md). Checks the
# configuration (placeholders included), builds, checks the secrets are set, applies the remote
# migrations in order (stopping at the first failure), deploys, and asks /healthz.
deploy:
	@scripts/deploy.sh $(ENV)

# Benchmarks print figures and assert nothing; make test runs none. `make bench` builds the
# working tree and measures it beside the team's ceiling worker and the peer SCIM servers
# (../shared/bench, set up into /tmp/bench-env when missing) under wrangler dev, interleaved, and
# prints each ratio with today's goal (bench/ceiling.sh: REVS="REV ... worktree" compares
# revisions; RUNS, REQUESTS, CONC, CAP, USERS, PEERS from the environment). `make bench-scale`
# (bench/scale.sh; SIZES=, N=, CAP=) prints p50/p99 per operation by tenant size.
bench:
	@bench/ceiling.sh $(REVS)

bench-scale:
	@bench/scale.sh $(SIZES)

clean:
	rm -rf build target .e2e .wrangler
