# The front door. `make run` starts the whole stack, `make test` runs lint and the suite.
VENV := .venv
PY := $(VENV)/bin/python
ARGS ?=
PYTEST_ARGS ?=

.PHONY: bootstrap run test lint format bench bench-storage bench-stream bench-ingest bench-opds \
	bench-torrent bench-webversion bench-dav manage

bootstrap:
	@bash scripts/bootstrap.sh

run: bootstrap
	$(PY) scripts/devstack.py

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: bootstrap
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: bootstrap
	$(PY) benchmarks/catalog.py $(ARGS)

bench-storage: bootstrap
	$(PY) benchmarks/storage.py $(ARGS)

bench-stream: bootstrap
	$(PY) benchmarks/stream.py $(ARGS)

bench-ingest: bootstrap
	$(PY) benchmarks/ingest.py $(ARGS)

bench-opds: bootstrap
	$(PY) benchmarks/opds.py $(ARGS)

bench-torrent: bootstrap
	$(PY) benchmarks/torrent.py $(ARGS)

bench-webversion: bootstrap
	$(PY) benchmarks/webversion.py $(ARGS)

bench-dav: bootstrap
	$(PY) benchmarks/dav.py $(ARGS)

manage: bootstrap
	$(PY) manage.py $(ARGS)
