# Two commands: `make run` serves the app with demo data, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed-stamp
FLASK = $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install db run test lint bench mutation clean translations translations-extract

$(STAMP): setup.cfg pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench]'
	touch $(STAMP)

install: $(STAMP)

# Create or upgrade the database, then load the bundled catalog and demo data once.
db: translations
	$(FLASK) db upgrade
	$(FLASK) demo load

run: db
	$(FLASK) run --host $(HOST) --port $(PORT)

# Two processes (the suite's databases, Redis keys and ports are per process).
TEST_WORKERS ?= 2

test: translations
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

# pycodestyle, pyflakes, isort, bugbear, pyupgrade. B905 (zip without strict=) is left out: the
# zips pair columns of one frame or rows of one query; Thresholds is a frozen dataclass, safe as a default.
RUFF_RULES = --line-length 120 --extend-exclude monitor/migrations --select E,F,W,I,B,UP --ignore B905 \
	--config lint.isort.combine-as-imports=true \
	--config "lint.flake8-bugbear.extend-immutable-calls = ['monitor.compliance.rules.Thresholds']"

lint: install
	$(BIN)/ruff check $(RUFF_RULES) monitor services_catalog tests bench
	$(BIN)/bandit -q -r monitor services_catalog -ll
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/run.py

# Mutation testing of the engine and the calendar (a developer habit, not part of `make test`):
# mutmut per module, at most MUTATION_CHILDREN test processes, then the score per module.
MUTATION_CHILDREN ?= 2
mutation: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,bench,mutation]'
	HYPOTHESIS_PROFILE=mutation $(BIN)/python bench/mutation.py --max-children $(MUTATION_CHILDREN)

clean:
	rm -rf $(VENV) instance .pytest_cache mutants

# Message catalogs: extract after changing texts, then translate the .po files.
translations-extract: install
	$(BIN)/pybabel extract -F monitor/translations/babel.cfg -k _l -k lazy_gettext -o monitor/translations/messages.pot .
	$(BIN)/pybabel update -N -i monitor/translations/messages.pot -d monitor/translations

translations: install
	$(BIN)/pybabel compile -d monitor/translations
