# scim-edge. The two commands a developer needs:
#   make dev    build and serve the worker locally (wrangler dev + local D1), with a dev tenant
#   make test   every test: host tests, end-to-end tests against wrangler dev, conformance
.PHONY: dev test build deploy clean

dev:
	@scripts/dev.sh

test:
	@scripts/test.sh

# The release build of the worker into build/ (installs the tools it needs first).
build:
	@bash -c 'source scripts/lib.sh && ensure_tools && build_worker'

# Deploy to Cloudflare (needs `wrangler login` and a real database_id in wrangler.toml).
deploy: build
	@bash -c 'source scripts/lib.sh && migrations_preflight --remote && CI=true node_modules/.bin/wrangler d1 migrations apply DB --remote && node_modules/.bin/wrangler deploy'

clean:
	rm -rf build target .e2e .wrangler
