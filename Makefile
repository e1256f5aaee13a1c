# The two commands a user needs: `make run` and `make test`.
# Both bootstrap a local virtualenv on a fresh machine; nothing needs to be preinstalled but python3.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_DIR ?= .rolegate
HOST ?= 127.0.0.1
PORT ?= 4566
PYTEST_ARGS ?=

.PHONY: run test test-postgresql-smoke lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rolegate serve --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

# Import contracts (pyproject.toml, [tool.importlinter]) and types (mypy over src/rolegate, [tool.mypy]).
lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/mypy

test: $(STAMP) lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The PostgreSQL smoke (issue 16): a representative subset of the boto3 / AWS CLI end-to-end suite again, the
# shared servers on PostgreSQL (ROLEGATE_TEST_POSTGRES_URL names the cluster; .ci/run starts one).
PG_SMOKE := tests/e2e/test_roles_boto3.py tests/e2e/test_sts_boto3.py tests/e2e/test_policies_boto3.py \
	tests/e2e/test_access_keys_boto3.py tests/e2e/test_users_boto3.py tests/e2e/test_groups_boto3.py \
	tests/e2e/test_instance_profiles_boto3.py tests/e2e/test_concurrency.py tests/e2e/test_awscli.py
test-postgresql-smoke: $(STAMP)
	ROLEGATE_TEST_SERVER_STORE=postgresql $(BIN)/python -m pytest -p no:cacheprovider $(PG_SMOKE)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.sigv4_bench
	$(BIN)/python -m bench.policy_bench
	$(BIN)/python -m bench.server_bench
	$(BIN)/python -m bench.authz_bench
	$(BIN)/python -m bench.sts_bench
	$(BIN)/python -m bench.store_round_trips
	$(BIN)/python -m bench.write_path_bench
	$(BIN)/python -m bench.catalog_bench

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .hypothesis
