# One task runner. `make demo` runs registre on every bundled example; `make test` runs the suite.
.PHONY: setup demo test lint services reference

setup:
	bash scripts/setup.sh

services:
	bash scripts/services.sh

demo: setup
	bash scripts/demo.sh

test: setup services
	.venv/bin/ruff check src tests benchmarks examples
	.venv/bin/ruff format --check src tests benchmarks examples
	.venv/bin/mypy
	REGISTRE_TEST_POSTGRES_URL=$${REGISTRE_TEST_POSTGRES_URL-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	REGISTRE_TEST_MARIADB_URL=$${REGISTRE_TEST_MARIADB_URL-mysql+pymysql://root@127.0.0.1:3306/test} \
	.venv/bin/python -m pytest -q -n 2 --dist loadfile --durations=15

lint: setup
	.venv/bin/ruff check src tests benchmarks examples
	.venv/bin/ruff format --check src tests benchmarks examples
	.venv/bin/mypy

# docs/cli-reference.md from the commands' --help (tests/test_cli_reference.py fails when stale)
reference: setup
	.venv/bin/python scripts/cli_reference.py
