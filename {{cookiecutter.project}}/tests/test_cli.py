"""The CLI: one command per stage, clear one-line errors and exit codes, no tracebacks."""

import subprocess
import sys

import pytest

from {{ cookiecutter.package }}.cli import STAGES, main


def test_help_lists_every_stage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert all(stage in out for stage in STAGES)


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
    stages = capsys.readouterr().out.split()
    assert stages == [
        "validate",
        "lint",
        "test",
        "repro",
        "model-tests",
        "loadtest",
        "compare",
        "report",
        "promote",
    ]
    assert set(stages) <= set(STAGES)
