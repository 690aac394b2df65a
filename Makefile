# Two commands matter: `make run` (the product on localhost) and `make test` (the whole suite).
VENV   ?= .venv
PYTHON ?= python3
PORT   ?= 5000
export QINGFENG_DATA_DIR ?= $(CURDIR)/var

STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)

.PHONY: run test install browser-deps bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/qingfeng init
	$(VENV)/bin/qingfeng serve --port $(PORT)

browser-deps:
	@bash tests/browser/install-chromium.sh

test: install browser-deps
	$(VENV)/bin/pytest -q -p no:cacheprovider

bench: install
	$(VENV)/bin/python bench/intake.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
