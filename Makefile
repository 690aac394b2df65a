# Two commands matter: `make run` (the product on localhost) and `make test` (the whole suite).
VENV   ?= .venv
PYTHON ?= python3
PORT   ?= 5000
export QINGFENG_DATA_DIR ?= $(CURDIR)/var

STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: run test install browser-deps bench clean screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# One machine: the passphrase beside the key, plain http on localhost, whoever runs it (the
# README says what this means; production runs the parts apart: docker/compose.yml).
run: export QINGFENG_ONE_MACHINE = 1
run: export QINGFENG_COOKIE_SECURE = 0
run: install
	$(VENV)/bin/qingfeng init
	$(VENV)/bin/qingfeng serve --port $(PORT)

browser-deps:
	@bash tests/browser/install-chromium.sh
	@cd tests/browser && npm ci --no-audit --no-fund --silent || echo "npm ci failed: the accessibility check will not run" >&2

test: install browser-deps
	$(VENV)/bin/pytest -q -p no:cacheprovider

# Every portal page at 360 px and the main office pages at 1280 px, as PNG files in
# screenshots/ (not committed), taken by the browser tests' accessibility checks.
screenshots: install browser-deps
	rm -rf screenshots
	QINGFENG_SCREENSHOTS=$(CURDIR)/screenshots $(VENV)/bin/pytest -q -p no:cacheprovider \
	    tests/browser/test_kept_and_accessible.py tests/browser/test_office_flow.py
	@ls screenshots

bench: install
	$(VENV)/bin/python bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
