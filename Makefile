# Thin entry points; the work is in scripts/. `make deploy` and `make test` set up everything they need.
SHELL := /bin/bash
VENV  := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# The MLflow version of the image (written once, in the env contract): requirements-test.txt pins the
# test client to it.
CONTRACT := ansible_collections/oracle/mlflow/plugins/module_utils/_env_contract.py
export MLFLOW_VERSION := $(shell scripts/mlflow-version.sh)

.PHONY: deploy teardown test lint sanity bench venv clean

## deploy: build the image and run the local MLflow tracking server at http://localhost:5000
deploy: $(VENV)/.deploy
	scripts/deploy.sh

## teardown: remove the local server container (data kept; PURGE=1 deletes it too)
teardown: $(VENV)/.deploy
	scripts/teardown.sh

## test: set up the test environment and run every test
test: $(VENV)/.test
	scripts/test.sh

## lint: ansible-lint and ansible-test sanity only
lint: $(VENV)/.test
	scripts/test.sh lint

## bench: measure image size, time to healthy and memory
bench: $(VENV)/.test
	scripts/bench.sh

venv: $(VENV)/.test

$(VENV)/.deploy: requirements.txt
	test -x $(VENV)/bin/python || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test: $(VENV)/.deploy requirements-test.txt $(CONTRACT)
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .cache ansible_collections/oracle/mlflow/tests/output
