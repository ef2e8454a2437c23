# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make score   install, then score the bundled sample dump with the shipped model
#   make test    install with test extras, then run the test suite
# Both install the `embed` extra (the model's sentence-embedding second pass, CPU torch);
# `make score EXTRAS=` installs without it and scores with the first pass alone.
PYTHON ?= python3
EXTRAS ?= embed
TORCH  ?= torch==2.13.0
comma  := ,
EXTRA_PKGS = $(if $(findstring embed,$(EXTRAS)),"$(TORCH)")
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared/corpora/real
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1

.PHONY: score test lint model splits evaluate bench fpr prevalence robustness ingest-report simulate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e $(if $(EXTRAS),".[$(EXTRAS)]",.) $(EXTRA_PKGS)
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test$(if $(EXTRAS),$(comma)$(EXTRAS))]" $(EXTRA_PKGS)
	touch $@ $(VENV)/.installed

score: $(VENV)/.installed
	$(BIN)/influence score corpora/sample-dump -o out/scores.csv --top 10

test: $(VENV)/.installed-test
	$(BIN)/ruff check influence tests scripts
	$(BIN)/python -m pytest -q

lint: $(VENV)/.installed-test
	$(BIN)/ruff check influence tests scripts

# Rebuild the shipped model (fixed seed, fixed splits). With the real collections beside the
# checkout, every other file of the Clinton and Pruitt releases is added as background negatives
# (influence/background.py); `make fpr` and `make robustness` then read only the other half.
# Without them the model is built from corpora/ alone, and its card says so.
BACKGROUND = $(if $(wildcard $(SHARED)/clinton-state-dept-foia-text),--background $(SHARED)/clinton-state-dept-foia-text \
             --background $(SHARED)/pruitt-oklahoma-ag-foia-text --background-part train)
model: $(VENV)/.installed
	$(BIN)/influence train corpora/labeled -o models/default $(BACKGROUND)

# Reassign the fixed train/validation/test splits (only when the corpus changes).
splits: $(VENV)/.installed
	$(BIN)/python -m influence.splits corpora/labeled

evaluate: $(VENV)/.installed
	$(BIN)/influence evaluate corpora/labeled --report out/evaluation

# Quality gate for CI: the shipped model on the corpus test split must stay within ~0.02 of its
# figures when the gates were set. That split was consulted during design and shares writers with
# training, so it is a regression check on familiar writers, not the headline (629 messages, 200
# positive). Session 8 moved the target to window scoring, chosen by writer-grouped CV and the
# robustness checks; on this familiar-writer split it reads lower than the whole-message scorer did
# (AP 0.915, recall at precision 0.9 0.770, ROC AUC 0.956, against 0.962 / 0.885 / 0.978), because
# that scorer leaned on the writers' style. The gates were reset to the new model's figures less
# ~0.02. The headline is `make holdout`. The report is written to out/evaluation/.
GATES ?= --fail-under average_precision=0.895 --fail-under recall_at_precision_90=0.75 \
         --fail-under roc_auc=0.935
.PHONY: gate holdout cv
# The headline: the new-writer holdout (four writers who wrote nothing else). Run it when a model
# ships, never to choose between designs (writer-grouped CV, scripts/writer_cv.py, does that).
holdout: $(VENV)/.installed
	$(BIN)/influence evaluate corpora/labeled --split holdout --report out/holdout --record

# Writer-grouped cross-validation of the shipped settings (the figure that decides design), recorded
# in the model card; with ../shared, the train half of the real collections is background in every fold.
CV_BACKGROUND = $(if $(wildcard $(SHARED)/clinton-state-dept-foia-text),--background \
                $(SHARED)/clinton-state-dept-foia-text $(SHARED)/pruitt-oklahoma-ag-foia-text)
SCORER ?= $(shell $(BIN)/python -c "from influence.settings import settings; \
            s = settings(); print('hybrid' if s['windows']['message'] else s['model']['target_scorer'])")
cv: $(VENV)/.installed
	$(BIN)/python scripts/writer_cv.py --scorer $(SCORER) $(CV_BACKGROUND) --record models/default

gate: $(VENV)/.installed
	$(BIN)/influence evaluate corpora/labeled --split test --report out/evaluation $(GATES)

# Speed and memory: score vs a bare TF-IDF scorer (in-process, then whole process with the
# ratios of issue 12 and Dask scaling from 1 to 2 workers), then ingest (pages/s, messages/s).
bench: $(VENV)/.installed-test
	$(BIN)/python scripts/bench.py --shared $(SHARED)
	$(BIN)/python scripts/bench_scale.py --shared $(SHARED)
	$(BIN)/python scripts/bench_ingest.py --shared $(SHARED)

# Printed-email splitting: every corpora/printed document (text and rendered PDF) against its
# expected messages, then the real printed releases under $(SHARED) when present.
ingest-report: $(VENV)/.installed-test
	$(BIN)/python scripts/ingest_report.py --shared $(SHARED)

# Invariances: padding, disclaimers, printed layout, rationale alone, canaries (issue 9).
robustness: $(VENV)/.installed
	$(BIN)/python scripts/robustness.py --shared $(SHARED)

# Review loop replayed on the test split hidden in real mail at 1% prevalence (issue 11): recall
# against effort, WSS@95, RRF@10, stopping rules, 10 seeds; out/simulation/report.{md,html}.
SIM_BACKGROUND = $(foreach d,clinton-state-dept-foia-text pruitt-oklahoma-ag-foia-text enron fixtures-eml \
                 fixtures-mbox,--background $(SHARED)/$(d))
simulate: $(VENV)/.installed
	@if [ -d $(SHARED) ]; then $(BIN)/influence review simulate corpora/labeled $(SIM_BACKGROUND) --seeds 10; \
	else echo "skipped: $(SHARED) is not present (the real background mail lives beside the checkout)"; fi

# Figures at 1% prevalence: held-out positives among real mail the model never trained on (issue 9).
prevalence: $(VENV)/.installed
	$(BIN)/python scripts/prevalence.py --shared $(SHARED) --record

fpr: $(VENV)/.installed
	$(BIN)/python scripts/fpr.py --shared $(SHARED)

clean:
	rm -rf out .pytest_cache .ruff_cache
