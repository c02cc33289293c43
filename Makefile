# Two commands do all the set-up on a fresh machine: `make book` and `make test`.
# Both create .venv from the pinned requirements when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOOK_FLAGS := -W -n --keep-going --all
NBVAL_FLAGS := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600

.PHONY: help venv book test lint unit nbval site browser figures notebooks measure gpu-check clean

help:
	@echo "make book       build the website (executes every chapter here) -> _build/html/index.html"
	@echo "make test       ruff, unit tests, nbval over chapters/, strict site build, browser test"
	@echo "make figures    regenerate figures/ and the generated pages (appendix, gallery, provenance)"
	@echo "make browser    headless Chromium over the built site (after make book)"
	@echo "make notebooks  re-execute the chapters in place (refreshes their stored outputs)"
	@echo "make measure    run every CPU measurement suite and print results (never overwrites references)"
	@echo "make gpu-check  on an NVIDIA GPU host: GPU tests + measurement suites, JSON into OUT=dir"
	@echo "make clean      remove _build and caches (keeps .venv)"

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt -c constraints.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $@

venv: $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	$(BIN)/jupyter-book build . $(BOOK_FLAGS)
	@echo "Website: file://$(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest -q -m "not gpu and not browser" tests

nbval: $(STAMP)
	$(BIN)/python -m pytest -q $(NBVAL_FLAGS) chapters

site: book

# Headless Chromium over the built site (tests/test_browser.py, tests/test_site.py); needs
# Debian's chromium (.ci/run installs it) and a built site (make book, or site in make test).
browser: $(STAMP)
	$(BIN)/python -m pytest -q -m browser tests

test: lint unit nbval site browser

figures: $(STAMP)
	$(BIN)/python -m analysis.figures --out figures
	$(BIN)/python -m analysis.claims
	$(BIN)/python -m analysis.site

notebooks: $(STAMP)
	$(BIN)/python scripts/execute_notebooks.py chapters

measure: $(STAMP)
	$(BIN)/python -m analysis.measure --suite all

gpu-check:
	bash scripts/gpu-check.sh "$(OUT)"

clean:
	rm -rf _build .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -not -path "./.venv/*" -prune -exec rm -rf {} +
