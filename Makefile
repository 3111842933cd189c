# cookiecutter-mlops-cicd: `make demo` and `make test` set up everything they need on a fresh machine.
SHELL := /bin/bash
UV := $(or $(shell command -v uv 2>/dev/null),$(HOME)/.local/bin/uv)
DEMO_DIR ?= build/demo
export UV_COMPILE_BYTECODE := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DVC_NO_ANALYTICS := 1

.PHONY: help demo test lint format lock bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --user --quiet uv || python3 -m pip install --user --quiet --break-system-packages uv

.venv: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen
	@touch .venv

demo: .venv  ## generate a project with the defaults into $(DEMO_DIR) and run its whole pipeline
	@for project in $(wildcard $(DEMO_DIR)/*/.deploy/service.pid); do \
		$(MAKE) --no-print-directory -C $${project%/.deploy/service.pid} stop UV=$(UV); done
	rm -rf $(DEMO_DIR)
	$(UV) run --no-sync cookiecutter . --no-input --output-dir $(DEMO_DIR)
	cd $(DEMO_DIR)/*/ && $(MAKE) --no-print-directory setup pipeline UV=$(UV)
	@echo "Demo project: $$(ls -d $(DEMO_DIR)/*/)  (metrics in reports/, model in models/, MLflow in mlruns/)"
	@echo "Its service runs on http://127.0.0.1:8000 (POST /predict, /docs); stop it: make -C $$(ls -d $(DEMO_DIR)/*/) stop"

test: .venv  ## the template's whole test suite (first installs the system and npm tools it runs: .ci/tools)
	bash .ci/tools
	$(UV) run --no-sync pytest --junitxml=build/junit/template.xml

lint: .venv  ## ruff on the template's own code
	$(UV) run --no-sync ruff check hooks tests benchmarks
	$(UV) run --no-sync ruff format --check hooks tests benchmarks

format: .venv  ## apply ruff fixes and formatting
	$(UV) run --no-sync ruff check --fix hooks tests benchmarks
	$(UV) run --no-sync ruff format hooks tests benchmarks

lock: .venv  ## refresh the generated project's uv.lock after changing its pyproject.toml
	rm -rf build/lock
	$(UV) run --no-sync cookiecutter . --no-input --output-dir build/lock
	cd build/lock/income-classifier && $(UV) lock
	sed 's/^name = "income-classifier"$$/name = "{{ cookiecutter.project }}"/' \
		build/lock/income-classifier/uv.lock > '{{cookiecutter.project}}/uv.lock'

bench: .venv  ## benchmarks/: bake+setup+pipeline; validation; the service against mlflow models serve
	$(UV) run --no-sync python benchmarks/bake_and_run.py
	$(UV) run --no-sync python benchmarks/validation.py
	$(UV) run --no-sync python benchmarks/serving.py

clean:  ## remove build outputs (baked projects, shared venvs)
	rm -rf build
