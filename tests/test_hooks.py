"""The hooks: bad answers are refused with one line and leave nothing; post-gen works without tools."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from baking import TEMPLATE, Bake

REJECTED = {
    "slug-with-bang": ({"project_name": "9 bad!"}, "project: '9-bad!' is not a valid slug"),
    "slug-leading-digit": ({"project": "9lives", "package": "lives"}, "project: '9lives'"),
    "slug-with-space": ({"project": "my project", "package": "mine"}, "project: 'my project' is not a valid slug"),
    "slug-with-quote": ({"project": 'say-"hi"', "package": "hi"}, "project: 'say-\"hi\"' is not a valid slug"),
    "slug-unicode": ({"project": "modèle", "package": "modele"}, "project: 'modèle' is not a valid slug"),
    "package-keyword": ({"project": "class", "package": "class"}, "package: 'class' is a Python keyword"),
    "package-soft-keyword": ({"project": "match", "package": "match"}, "package: 'match' is a Python keyword"),
    "package-leading-digit": ({"package": "1model"}, "package: '1model' is not a valid Python import"),
    "package-dash": ({"package": "my-model"}, "package: 'my-model' is not a valid Python import name"),
    "package-stdlib": ({"project": "json", "package": "json"}, "package: 'json' would shadow the standard-library"),
    "email": ({"author_email": "someone at example"}, "author_email: 'someone at example'"),
    "email-empty": ({"author_email": ""}, "author_email: '' is not an email"),
    "name-newline": (
        {"project_name": "Two\nlines", "project": "two-lines"},
        "project_name: 'Two\\nlines' must be a single line",
    ),
    "description-empty": ({"description": "  "}, "description: must not be empty"),
}


@pytest.mark.parametrize(("answers", "reason"), list(REJECTED.values()), ids=list(REJECTED))
def test_bad_answers_fail_with_one_line_and_leave_nothing(tmp_path, capfd, bake: Bake, answers, reason):
    with pytest.raises(FailedHookException):
        bake(**answers)
    assert f"error: {reason}" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unsupported_python_is_refused_before_anything_is_written(tmp_path, bake: Bake):
    # python_version is a choice list, so cookiecutter itself refuses other values (the pre-gen
    # hook checks again for replayed answers, see test_pre_gen_checks_python_too).
    with pytest.raises(ValueError, match=r"3\.9 provided for choice variable python_version"):
        bake(python_version="3.9")
    assert list(tmp_path.iterdir()) == []


def test_pre_gen_checks_python_too():
    source = (TEMPLATE / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
    namespace: dict = {}
    exec(compile(source.replace("{{ cookiecutter | tojson }}", "{}"), "pre_gen", "exec"), namespace)
    assert namespace["check_python"]("3.9") == (
        "python_version: '3.9' is not supported (choose one of 3.11, 3.12, 3.13)"
    )
    assert namespace["check_python"]("3.12") is None


@pytest.mark.parametrize(("answers", "reason"), list(REJECTED.values())[:3], ids=list(REJECTED)[:3])
def test_command_line_prints_the_reason_in_one_line(tmp_path, answers, reason):
    # cookiecutter itself logs its FailedHookException with a traceback; the reason is ours.
    args = [f"{key}={value}" for key, value in answers.items()]
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(TEMPLATE), "--no-input", "-o", str(tmp_path), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    ours = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(ours) == 1
    assert ours[0].startswith(f"error: {reason}")
    assert list(tmp_path.iterdir()) == []


def test_post_gen_prints_next_steps(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(TEMPLATE), "--no-input", "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "git: repository initialised on branch main" in result.stdout
    assert "make setup" in result.stdout
    assert "make pipeline" in result.stdout


def test_without_git_it_still_bakes_and_says_what_it_skipped(tmp_path, monkeypatch, capfd, bake):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no git, no dvc
    project = bake()
    out = capfd.readouterr().out
    assert "skipped git: git is not installed" in out
    assert not (project / ".git").exists()
    assert "no_scm = true" in (project / ".dvc" / "config").read_text()


def test_uses_the_author_when_git_has_no_identity(tmp_path, monkeypatch, bake):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(key, raising=False)
    project: Path = bake(author_name="Ada Lovelace", author_email="ada@example.org")
    author = subprocess.run(
        ["git", "log", "-1", "--format=%an <%ae>"], cwd=project, capture_output=True, text=True
    ).stdout.strip()
    assert author == "Ada Lovelace <ada@example.org>"
