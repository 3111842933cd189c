"""The CLI: one command per stage module, clear one-line errors and exit codes, no tracebacks."""

import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest

from {{ cookiecutter.package }}.cli import main, stage_help, stage_names
from {{ cookiecutter.package }}.stages.pipeline import DEFAULT_BRANCH_ONLY, ORDER, SCHEDULED

CI_STAGES = [
    "validate", "lint", "test", "repro", "model-tests", "loadtest", "compare", "promote", "deploy", "report"
]  # fmt: skip


def test_every_stage_module_is_a_command_with_its_docstring_as_help(capsys):
    others = {"prepare", "train", "evaluate", "profile", "serve", "pipeline", "rollback", "monitor"}
    assert set(CI_STAGES) | set(SCHEDULED) | others == set(stage_names())
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for name in stage_names():
        assert f"{name} {stage_help(name)}" in out
    assert (
        stage_help("train")
        == "fit the model from params.yaml, save it, and record it in MLflow with its lineage."
    )


def test_help_imports_no_stage_module():
    script = (
        "import contextlib, io, sys\n"
        "from {{ cookiecutter.package }}.cli import main\n"
        "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "print([name for name in sys.modules if name.startswith('{{ cookiecutter.package }}.stages.')])\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_stages_own_options_are_on_its_command(capsys):
    with pytest.raises(SystemExit):
        main(["loadtest", "--help"])
    assert "--url URL" in capsys.readouterr().out


def test_a_stages_run_reads_no_stage_source(capsys, monkeypatch):
    """Its help comes from the module it imports: nothing is parsed, which on CPython 3.11.7 can fail
    while another thread parses (printing a traceback does)."""
    summary = stage_help("loadtest")

    def parse(*_: object) -> None:
        raise AssertionError("a stage's source was parsed")

    monkeypatch.setattr("{{ cookiecutter.package }}.cli.ast", SimpleNamespace(parse=parse, get_docstring=None))
    with pytest.raises(SystemExit):
        main(["loadtest", "--help"])
    assert summary in " ".join(capsys.readouterr().out.split())


def test_unknown_stage_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["deploy-everything"])
    assert exit_.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_prepare_writes_both_splits(project):
    assert main(["prepare"]) == 0
    assert project.train_split.is_file()
    assert project.test_split.is_file()


def test_bad_params_exit_2_with_one_line_and_write_nothing(project):
    project.params.write_text(project.params.read_text().replace("test_size:", "tset_size:"))
    result = subprocess.run(
        [sys.executable, "-m", "{{ cookiecutter.package }}", "prepare"],
        cwd=project.root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: {project.params}: prepare.tset_size: unknown key (and 1 more problem)"
    ]
    assert "Traceback" not in result.stderr
    assert not project.prepared.exists()


def test_training_before_prepare_says_what_to_run(project, capsys):
    assert main(["train"]) == 2
    assert "run the prepare stage first" in capsys.readouterr().err


def test_pipeline_lists_the_ci_stages_in_order(capsys):
    assert main(["pipeline", "--list"]) == 0
    assert capsys.readouterr().out.split() == CI_STAGES == list(ORDER)
    assert DEFAULT_BRANCH_ONLY == ("promote", "deploy")
    assert main(["pipeline", "--list", "--scheduled"]) == 0
    scheduled = capsys.readouterr().out.split()
    assert scheduled == ["drift", *(stage for stage in CI_STAGES if stage not in ("lint", "test"))]


def test_pipeline_plan_says_what_each_stage_reads_and_hands_on(project, capsys):
    assert main(["pipeline", "--plan"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [entry["stage"] for entry in plan] == CI_STAGES
    for position, entry in enumerate(plan):
        assert set(entry["reads"]) <= set(CI_STAGES[:position]), entry  # only earlier stages
        assert all(not output.startswith("/") for output in entry["outputs"]), entry
    by_stage = {entry["stage"]: entry for entry in plan}
    assert by_stage["repro"]["outputs"] == [
        "models", "data/prepared", "reports/evaluation.json", "reports/plots", "dvc.lock", "mlruns",
        "reports/repro.json",
    ]  # fmt: skip
    assert by_stage["promote"]["default_branch_only"] is True
    assert by_stage["promote"]["outputs"] == ["reports/promotion.json", "mlruns"]
    deploy = {"stage": "deploy", "default_branch_only": True, "reads": ["promote"]}
    assert by_stage["deploy"] == {**deploy, "outputs": ["reports/deploy.json"]}
    assert by_stage["report"]["reads"] == [
        "validate", "test", "repro", "model-tests", "loadtest", "compare", "promote", "deploy"
    ]  # fmt: skip
    assert by_stage["report"]["outputs"] == ["reports/report.md", "reports/report.html"]
    assert CI_STAGES[-1] == "report"  # last: it reports on every stage before it
    assert main(["pipeline", "--plan", "--scheduled"]) == 0
    scheduled = json.loads(capsys.readouterr().out)
    assert [entry["stage"] for entry in scheduled] == list(SCHEDULED)
    assert scheduled[0]["outputs"] == ["reports/drift.json", "reports/validation.json", "data/reference.json"]


def test_the_makefile_and_the_readme_follow_the_stage_modules(shipped):
    makefile = (shipped.root / "Makefile").read_text()
    readme = (shipped.root / "README.md").read_text()
    order = re.search(r"The CI stages, in order: (.+)\.", readme)
    assert order, "README.md names the CI stages in order"
    assert re.findall(r"`([a-z-]+)`", order[1]) == list(ORDER)
    documented = re.findall(r"^\| `([a-z-]+)` \|", readme, re.MULTILINE)
    assert sorted(documented) == stage_names()
    for target in (
        "pipeline",
        "repro",
        "test",
        "model-tests",
        "loadtest",
        "serve",
        "deploy",
        "rollback",
        "lint",
    ):
        assert re.search(rf"^{target}:.*## ", makefile, re.MULTILINE), target
        assert f"{{ cookiecutter.project }} {target}" in makefile
