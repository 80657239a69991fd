# buildkit-pyenv: every target sets up what it needs on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

FRONTEND_IMAGE ?= buildkit-pyenv/frontend:dev
# Pinned by digest, as images/frontend/Dockerfile's default (tests/unit/test_packaging.py).
FRONTEND_BASE_IMAGE ?= python:3.12-slim@sha256:229a2c5bfa27522db7815ea81f9bed70af17ccb9de9fc7ad142b1877b5830d36
PROTOS := $(wildcard buildkit_frontend/gateway/protos/*.proto)

.PHONY: test unit lint example bed golden bench frontend-image protos clean

# Unit, integration and end-to-end tests (the e2e ones build real images).
test: $(STAMP) bed lint
	$(PY) -m pytest -v -ra tests

# Fast tests only: no engine needed.
unit: $(STAMP)
	$(PY) -m pytest -q tests/unit tests/integration

lint: $(STAMP)
	$(VENV)/bin/ruff check buildkit_frontend tests bench tools
	$(VENV)/bin/ruff format --check buildkit_frontend tests bench tools

# The bed has no registry: the frontend image it uses starts from the bed's own base.
BED_FRONTEND_BASE := buildkit-pyenv-test/astro:bookworm

# The main job on the example: build examples/quickstart (# syntax= the frontend) and run it.
example: $(STAMP) bed
	$(MAKE) frontend-image FRONTEND_BASE_IMAGE=$(BED_FRONTEND_BASE)
	FRONTEND_IMAGE=$(FRONTEND_IMAGE) $(PY) -m tests.bed.example

# Engine, base images and CPython sources (idempotent; needs root).
bed:
	tests/bed/setup.sh

# Rewrite the expected renders after an intended change; review with git diff.
golden: $(STAMP)
	UPDATE_GOLDEN=1 $(PY) -m pytest -q tests/unit/test_golden.py

# Benchmarks against astro-provider-venv's expansion and a hand-written uv Dockerfile:
# writes docs/benchmarks.md (about 40 min on 2 CPUs; prunes the build cache of the engine
# and of the bed's cache engine, so not while tests build). For a
# quicker look: make bench BENCH_ARGS="--quick --scenarios cold,edit" (python -m bench -h).
BENCH_ARGS ?=
bench: $(STAMP) bed
	$(MAKE) frontend-image FRONTEND_BASE_IMAGE=$(BED_FRONTEND_BASE)
	FRONTEND_IMAGE=$(FRONTEND_IMAGE) $(PY) -m bench $(BENCH_ARGS)

# The BuildKit frontend image (`# syntax=$(FRONTEND_IMAGE)`).
frontend-image:
	docker buildx build --load -t $(FRONTEND_IMAGE) \
		--build-arg FRONTEND_BASE_IMAGE=$(FRONTEND_BASE_IMAGE) -f images/frontend/Dockerfile .

# Regenerate the Python code of the gateway protocol from its .proto files.
protos: $(STAMP)
	$(PY) -m grpc_tools.protoc -I . --python_out=. $(PROTOS)
	$(PY) -m grpc_tools.protoc -I . --grpc_python_out=. buildkit_frontend/gateway/protos/gateway.proto

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
