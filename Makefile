# Two commands on a fresh machine: `make demo` and `make test`. Each sets up its own virtualenv, with
# the emulator extra (requirements-emulator.txt, through requirements-dev.txt) that both need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# LocalStack, the end-to-end suites' second emulator, needs Python 3.13 and pins of its own.
LOCALSTACK_VENV ?= .venv-localstack
LOCALSTACK_STAMP := $(LOCALSTACK_VENV)/.installed
ifeq ($(origin LOCALSTACK_PYTHON), undefined)
LOCALSTACK_PYTHON := $(shell for p in $(HOME)/.pyenv/versions/3.13*/bin/python3.13 python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' 2>/dev/null && { command -v "$$p"; break; }; done)
endif

.PHONY: test demo lint typecheck bench clean browser localstack

$(STAMP): requirements.txt requirements-emulator.txt requirements-dev.txt constraints.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Debian's chromium renders the HTML report in its test; CI runs as root and installs it. Elsewhere,
# without apt-get or root, the browser test is skipped (and fails when CI is set).
browser:
	@command -v chromium >/dev/null || { command -v apt-get >/dev/null && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } || \
		echo "chromium is not installed: the HTML report's browser test will be skipped"

$(LOCALSTACK_STAMP): requirements-localstack.txt
	@test -n "$(LOCALSTACK_PYTHON)" || { echo "no Python 3.13 found (python3.13 on PATH or pyenv); set LOCALSTACK_PYTHON"; exit 1; }
	rm -rf $(LOCALSTACK_VENV)
	$(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV)
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCALSTACK_VENV)/bin/python -m pip install --quiet --no-deps -r requirements-localstack.txt
	$(LOCALSTACK_VENV)/bin/python -c "import localstack.runtime.main"
	touch $(LOCALSTACK_STAMP)

# Without LocalStack the end-to-end suites run on moto alone and their LocalStack half is skipped, saying
# why; under CI (CI set) that is a failure, so the second emulator cannot silently drop out.
localstack:
	@$(MAKE) --no-print-directory $(LOCALSTACK_STAMP) || { \
		echo "LocalStack could not be set up (see above): the LocalStack half of the end-to-end suites will be skipped"; \
		if [ -n "$$CI" ]; then echo "CI is set: both emulators are required, so make test stops here"; exit 1; fi; }

test: $(STAMP) browser localstack
	$(BIN)/ruff check .
	$(BIN)/mypy
	RECGOV_LOCALSTACK_PYTHON=$(LOCALSTACK_VENV)/bin/python $(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/recgov demo --out reports

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.verify_buckets

clean:
	rm -rf $(VENV) $(LOCALSTACK_VENV) reports .pytest_cache .mypy_cache .ruff_cache .hypothesis
