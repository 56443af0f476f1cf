# Two commands for a fresh machine: `make demo` and `make test`.
# Both create .venv if needed and install prefstore with what they need.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

# The oldest NAT the `nat` extra allows (pyproject.toml); `make test-nat-floor` runs
# the tests that exercise NAT against it, in a venv of its own.
NAT_FLOOR  ?= 1.5.0
FLOOR_VENV ?= .venv-nat-floor
FLOOR_STAMP = $(FLOOR_VENV)/.installed-$(NAT_FLOOR)

.PHONY: demo test test-nat-floor bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,nat,spark,data]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/prefstore demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n auto --dist loadfile

$(FLOOR_STAMP): pyproject.toml
	test -x $(FLOOR_VENV)/bin/python || $(PYTHON) -m venv $(FLOOR_VENV)
	$(FLOOR_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FLOOR_VENV)/bin/python -m pip install --quiet -e . pytest 'langchain-core>=0.3' \
		nvidia-nat-core==$(NAT_FLOOR) nvidia-nat-eval==$(NAT_FLOOR) nvidia-nat-nemo-customizer==$(NAT_FLOOR)
	touch $(FLOOR_STAMP)

test-nat-floor: $(FLOOR_STAMP)
	$(FLOOR_VENV)/bin/python -m pytest -q tests/test_nat_plugin.py tests/test_nat_e2e.py

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(FLOOR_VENV) demo-output dist build .pytest_cache
