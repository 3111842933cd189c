"""Stages that wrap a tool fail with its exit code, or say how to install a missing one."""

import pytest

from {{ cookiecutter.package }}.errors import StageError, UserError
from {{ cookiecutter.package }}.io.tools import run_module


def test_a_failing_tool_fails_the_stage_with_its_exit_code(tmp_path):
    (tmp_path / "unused.py").write_text("import os\n")
    with pytest.raises(StageError) as error:
        run_module("ruff", "check", "--isolated", "--select", "F401", "unused.py", cwd=tmp_path)
    assert error.value.exit_code == 1


def test_a_passing_tool_passes(tmp_path):
    run_module("ruff", "--version", cwd=tmp_path)


def test_a_missing_tool_says_how_to_install_it(tmp_path):
    with pytest.raises(UserError, match="not_a_tool is not installed"):
        run_module("not_a_tool", cwd=tmp_path)
