# Two commands do all the set-up on a fresh machine: `make book` and `make test`.
# Both create .venv from the pinned requirements when it is missing or out of date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BOOK_FLAGS := -W -n --keep-going --all
# Test processes (pytest-xdist): every core by default; JOBS=0 runs each suite in one process.
JOBS ?= auto
NBVAL_FLAGS := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=600

.PHONY: help venv book test lint unit freshness nbval site browser figures notebooks measure gpu-check clean

help:
	@echo "make book       build the website (executes every chapter here) -> _build/html/index.html"
	@echo "make test       lint, unit tests, nbval over chapters/, strict site build, browser test"
	@echo "make lint       ruff check, ruff format --check, mypy on analysis/"
	@echo "make site       strict site build from the stored outputs (make test runs it after nbval)"
	@echo "make freshness  tests that compare catalogs with today's date (not in make test)"
	@echo "make figures    regenerate figures/ and the generated pages (appendix, gallery, provenance)"
	@echo "make browser    headless Chromium over the built site (after make book)"
	@echo "make notebooks  re-execute the chapters in place (refreshes their stored outputs)"
	@echo "make measure    run every measurement suite here, into _build/measurements/ (never the stored references)"
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
	$(BIN)/ruff format --check .
	$(BIN)/mypy analysis

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) -m "not gpu and not browser and not freshness" tests

freshness: $(STAMP)
	$(BIN)/python -m pytest -q -m freshness tests

# loadscope: a notebook's cells stay together, in order, on one worker (one kernel)
nbval: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) --dist loadscope $(NBVAL_FLAGS) chapters

# The test build: nbval (run just before it in `make test`) has re-executed every chapter and
# checked it against its stored outputs, so this build renders those outputs instead of executing
# the chapters a second time. `make book` (the reader's build) still executes everything.
site: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/jupyter_execute
	mkdir -p _build
	sed -e 's/^  execute_notebooks: force$$/  execute_notebooks: "off"/' -e 's|: _ext$$|: $(CURDIR)/_ext|' \
	  _config.yml > _build/_config-stored.yml
	grep -q 'execute_notebooks: "off"' _build/_config-stored.yml
	$(BIN)/jupyter-book build . --config _build/_config-stored.yml $(BOOK_FLAGS)
	touch _build/html/.stored-outputs

# Headless Chromium over the built site (tests/test_browser.py, tests/test_site.py); needs
# Debian's chromium (.ci/run installs it) and a built site (make book, or site in make test).
browser: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) -m browser tests

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
