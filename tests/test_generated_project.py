"""The default project, baked once: its own lint and tests pass, its pipeline trains, tracks and caches."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from baking import DEFAULTS, TEMPLATE, project_env, run
from defects import DEFECTS
from tools import UV, require

# Every test here reads or copies the one default project a worker bakes and runs: keep them on one worker.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("default-project")]
IN_FRONT_ENDS = {"shuffled-labels"}
"""Defects the CI front-end tests inject into a whole pipeline run (test_gitlab_local.py), not repeated here."""

UV_RUN = [UV, "run", "--no-sync"]


def test_ruff_is_clean(default_project: Path):
    run([*UV_RUN, "ruff", "check", "."], default_project)
    run([*UV_RUN, "ruff", "format", "--check", "."], default_project)


LIST_DEPENDENCIES = """
import importlib.metadata as metadata, json, re, sys
ours = set(sys.argv[1:])
modules = {name for name in metadata.packages_distributions() if re.fullmatch("[a-z][a-z0-9_]*", name)}
distributions = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in metadata.distributions()}
print(json.dumps({"distributions": sorted(distributions - ours), "modules": sorted(modules - ours)}, indent=1))
"""


def test_the_answers_refuse_exactly_the_names_its_dependencies_take(default_project: Path):
    """hooks/dependencies.json, which the answers are checked against, is the baked environment's names."""
    command = [*UV_RUN, "python", "-c", LIST_DEPENDENCIES, DEFAULTS["project"], DEFAULTS["package"]]
    listed = run(command, default_project).stdout
    shipped = TEMPLATE / "hooks" / "dependencies.json"
    assert json.loads(shipped.read_text()) == json.loads(listed), f"uv.lock changed: write {shipped} as\n{listed}"


def test_its_own_test_suite_passes(default_project: Path, tmp_path: Path):
    """The project's test suite, a plain `pytest` on two workers as it runs by default: the one place the
    template runs all of it. tests/model/, which needs a trained model, is left out by the project's addopts
    (here one exists: repro ran); it runs in every CI front-end run's model-tests job."""
    junit = tmp_path / "unit.xml"
    command = [*UV_RUN, "pytest", "-q", "-p", "no:cacheprovider", "--numprocesses=2", f"--junitxml={junit}"]
    result = run(command, default_project)
    assert " passed" in result.stdout
    assert "failed" not in result.stdout
    modules = {case.get("classname", "") for case in ET.parse(junit).getroot().iter("testcase")}  # no classes
    assert "tests.stages.test_repro" in modules
    assert not [module for module in modules if module.startswith("tests.model")]


def test_pipeline_left_a_model_metrics_plots_and_a_registered_version(default_project: Path):
    metrics = json.loads((default_project / "reports" / "evaluation.json").read_text())
    assert metrics["test"]["roc_auc"] > 0.9  # HistGradientBoosting on Adult reaches ~0.93
    assert set(metrics["slices"]["sex"]) == {"Female", "Male"}
    assert (default_project / "models" / "model" / "MLmodel").is_file()
    for plot in ("roc.csv", "precision_recall.csv", "confusion.csv"):
        assert (default_project / "reports" / "plots" / plot).is_file()
    trained = json.loads((default_project / "models" / "run.json").read_text())
    assert trained["registered_model"] == DEFAULTS["project"]
    assert trained["version"] == "1"
    query = (
        "import mlflow; c = mlflow.MlflowClient('sqlite:///mlruns/mlflow.db');"
        f"v = c.get_model_version('{DEFAULTS['project']}', '1');"
        "print(v.tags['data_version'], c.get_run(v.run_id).data.metrics['test_roc_auc'])"
    )
    data_version, roc_auc = run([*UV_RUN, "python", "-c", query], default_project).stdout.split()
    assert data_version.startswith("md5:")
    assert float(roc_auc) == metrics["test"]["roc_auc"]


def test_the_shipped_data_passes_validation(default_project: Path):
    result = run([*UV_RUN, DEFAULTS["project"], "validate"], default_project)
    assert "rows pass all" in result.stdout
    assert json.loads((default_project / "reports" / "validation.json").read_text())["valid"] is True


def test_second_repro_does_no_work(default_project: Path):
    result = run([*UV_RUN, "dvc", "repro"], default_project)
    assert "Running stage" not in result.stdout
    assert "Data and pipelines are up to date." in result.stdout


def test_a_params_change_reruns_only_what_depends_on_it(default_project: Path, tmp_path: Path):
    project = tmp_path / default_project.name
    shutil.copytree(default_project, project, symlinks=True)
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("threshold: 0.5", "threshold: 0.4"))
    result = run([*UV_RUN, "dvc", "repro"], project)
    assert "Running stage 'evaluate'" in result.stdout
    assert "Running stage 'train'" not in result.stdout
    assert "Running stage 'prepare'" not in result.stdout
    assert json.loads((project / "reports" / "evaluation.json").read_text())["threshold"] == 0.4


TRAINS_ITS_OWN = {"diverging-training", "non-deterministic"}
"""Defects whose failing model test trains its own models from params.yaml and the code: `model-tests` finds
them next to the project's trained model as it is, without a `repro` (whose new model that test never reads)."""


@pytest.mark.parametrize("defect", [name for name in DEFECTS if name not in IN_FRONT_ENDS])
def test_an_injected_defect_fails_its_model_test(default_project: Path, tmp_path: Path, defect: str):
    inject, failing_test = DEFECTS[defect]
    project = tmp_path / default_project.name
    shutil.copytree(default_project, project, symlinks=True)
    inject(project)
    # The shared venv's editable install points at the original project: put the copy's code first.
    env = {**project_env(), "PYTHONPATH": str(project / "src")}
    if defect not in TRAINS_ITS_OWN:
        run([*UV_RUN, DEFAULTS["project"], "repro"], project, env)

    result = subprocess.run(
        [*UV_RUN, DEFAULTS["project"], "model-tests"], cwd=project, env=env, capture_output=True, text=True
    )

    assert result.returncode != 0, result.stdout[-3000:]
    failed = [case.get("name") for case in failing_cases(project / "reports" / "junit" / "model.xml")]
    assert failing_test in failed, failed


def failing_cases(junit: Path) -> list:
    return [case for case in ET.parse(junit).getroot().iter("testcase") if case.find("failure") is not None]


JENKINS_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'self';"
"""The Content-Security-Policy Jenkins serves archived and published HTML with (its default)."""
BROWSER_OWN = ("google.com/", "googleapis.com/", "gstatic.com/", "/favicon.ico")
"""Requests Chromium makes by itself (its clock, its favicon), whatever the page."""


def open_in_chromium(page: bytes, screenshot: Path) -> tuple[list[str], list[str]]:
    """(the URLs requested, the console's lines) for `page` served with Jenkins' CSP as
    http://report.test/report.html, every request of headless Chromium going through a proxy here."""
    (chromium,) = require("chromium", install="apt-get install chromium")
    requests: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # as the browser's proxy, the absolute URL is the path
            requests.append(self.path)
            found = self.path == "http://report.test/report.html"
            body = page if found else b""
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", JENKINS_CSP)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Proxy) as proxy:
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        browser = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--proxy-server=http://127.0.0.1:{proxy.server_address[1]}", "--proxy-bypass-list=<-loopback>",
             "--enable-logging=stderr", "--v=0", "--window-size=1200,2400", f"--screenshot={screenshot}",
             "http://report.test/report.html"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        proxy.shutdown()
    assert screenshot.is_file(), browser.stderr[-3000:]
    console = [line for line in browser.stderr.splitlines() if ":CONSOLE" in line]
    return [url for url in requests if not any(own in url for own in BROWSER_OWN)], console


def test_the_html_report_renders_in_chromium_under_jenkins_csp_with_no_request(default_project: Path):
    """`report` after repro (later stages "not run"): report.html opened in headless Chromium, served with
    Jenkins' CSP. Nothing but the page is fetched, the console stays clean (a page with an inline style, a
    script and an external image, checked the same way, is caught), and a screenshot is kept in
    build/artifacts/."""
    run([*UV_RUN, DEFAULTS["project"], "report"], default_project)
    page = (default_project / "reports" / "report.html").read_bytes()
    assert page.count(b"<svg") >= 3  # ROC, precision-recall, confusion matrix
    artifacts = TEMPLATE / "build" / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)

    requests, console = open_in_chromium(page, artifacts / "report.png")

    assert (artifacts / "report.png").stat().st_size > 20_000  # a page with charts, not a blank one
    assert console == []
    assert requests == ["http://report.test/report.html"]
    broken = page.replace(b"<body>", b"<body><style>h1{color:red}</style><script>console.log(1)</script>", 1)
    _, console = open_in_chromium(broken, artifacts / "broken-report.png")
    assert any("violates the following Content Security Policy directive" in line for line in console)
