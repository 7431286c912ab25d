# ntm-map: `make demo` serves the planner map, `make test` runs every test.
# Both set up what they need first (system packages, virtualenv, databases).

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
SHARED_DATA := $(abspath ../shared/data)
PGURL ?= postgresql+psycopg://postgres@127.0.0.1:5432/ntm

export SPATIALITE_LIBRARY_PATH ?= mod_spatialite
export NTM_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)

.PHONY: setup system venv pgdb demo demo-db serve test lint clean

setup: system venv

system:
	bash scripts/setup-system.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

pgdb:
	bash scripts/setup-db.sh ntm_test_empty ntm_test_seeded ntm_test_migrate ntm_test_restore ntm_bench

demo-db: setup
	$(VENV)/bin/ntm db upgrade
	$(VENV)/bin/ntm load reference
	$(VENV)/bin/ntm load demo
	$(VENV)/bin/ntm users demo

# the session secret shared by the web workers, made once (production: NTM_SECRET_KEY)
instance/secret-key:
	mkdir -p instance
	umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > $@

demo: demo-db instance/secret-key
	@echo "Bản đồ: http://127.0.0.1:5000/map  (đăng nhập bằng một tài khoản DEMO ở trên;"
	@echo "  mật khẩu lưu trong instance/demo-accounts.txt)"
	VENV=$(VENV) bash scripts/serve.sh

# gunicorn (`ntm serve`) and one export worker (`ntm worker`); `ntm serve --dev` for Werkzeug
serve: instance/secret-key
	VENV=$(VENV) bash scripts/serve.sh

LINT_DIRS = $(wildcard geo services webmap tests bench scripts)

lint: venv
	$(VENV)/bin/ruff check $(LINT_DIRS)
	$(VENV)/bin/ruff format --check $(LINT_DIRS)
	$(VENV)/bin/mypy

test: setup pgdb
	$(MAKE) lint
	NTM_TEST_POSTGIS_URL=$(PGURL)_test $(VENV)/bin/pytest -p no:cacheprovider $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance/*.db data/boundaries/cache
