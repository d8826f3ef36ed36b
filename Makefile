# kubatch — every target runs on the project's own Node 24 (node_modules/.bin/node),
# installed by `make setup` from the npm registry's `node` package.
SHELL := /bin/bash
NODE_BIN := $(CURDIR)/node_modules/.bin
export PATH := $(NODE_BIN):$(PATH)
NODE := $(NODE_BIN)/node
KUBATCH := $(CURDIR)/bin/kubatch

.PHONY: setup typecheck crds crds-check deploy-local cluster-up cluster-down cluster-status test test-unit demo bench clean

setup: node_modules/.setup-done

node_modules/.setup-done: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is required (any Node.js >= 18 with npm) to install the project's own Node 24"; exit 1; }
	@command -v go >/dev/null || { echo "Go is required to build the local Kubernetes control plane"; exit 1; }
	@command -v openssl >/dev/null || { echo "openssl is required to make the local cluster's certificates"; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@$(NODE) -e 'const [maj] = process.versions.node.split("."); if (+maj < 22) { console.error("node_modules/.bin/node is " + process.version + "; kubatch needs >= 22"); process.exit(1) } console.log("Node " + process.version + " ready at node_modules/.bin/node")'
	@touch $@

# CRD YAML from the zod schemas; crds-check fails when crds/ differs from what they generate.
crds: setup
	$(NODE) api/crd-gen/main.ts

crds-check: setup
	$(NODE) api/crd-gen/main.ts --check

typecheck: setup
	$(NODE_BIN)/tsc -p tsconfig.json

cluster-up: setup
	$(KUBATCH) cluster up

cluster-down: setup
	$(KUBATCH) cluster down

# CRDs and the operator (as a local process) on the local cluster; `cluster-down` stops it.
deploy-local: setup
	$(KUBATCH) cluster deploy-local

cluster-status: setup
	$(KUBATCH) cluster status

# Everything: typecheck, unit tests, and the integration/e2e suites against a fresh local
# cluster of their own (state in .kubatch/test), brought down at the end.
test: setup
	$(NODE) e2e/run-tests.ts

test-unit: setup
	$(NODE) e2e/run-tests.ts --unit

# Benchmarks (not part of `make test`): kubatch vs one pod per task, latency, scale.
bench: setup
	$(NODE) e2e/bench/main.ts

demo: setup
	$(NODE) e2e/demo/main.ts

# Every cluster of this checkout goes first (dev, tests, bench): removing a live cluster's
# folder would leave its processes, mounts and network namespace behind.
clean: setup
	for dir in .kubatch .kubatch/test .kubatch/bench; do $(KUBATCH) cluster down --state-dir $$dir || exit 1; done
	rm -rf .kubatch
