"""Bad answers are refused with one line and leave nothing anywhere; post-gen works without tools.

The form's answers are checked by hooks/answers.py inside cookiecutter, before any folder exists (its
`checked` filter ends cookiecutter with SystemExit(1)); the pre-gen hook checks replayed answers again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from baking import TEMPLATE, Bake, bake_into

REJECTED = {
    "slug-with-bang": ({"project_name": "9 bad!"}, "project: '9-bad' is not a valid slug"),
    "slug-leading-digit": ({"project": "9lives", "package": "lives"}, "project: '9lives'"),
    "slug-with-space": ({"project": "my project", "package": "mine"}, "project: 'my project' is not a valid slug"),
    "slug-with-quote": ({"project": 'say-"hi"', "package": "hi"}, "project: 'say-\"hi\"' is not a valid slug"),
    "slug-unicode": ({"project": "modèle", "package": "modele"}, "project: 'modèle' is not a valid slug"),
    "package-keyword": ({"project": "class", "package": "class"}, "package: 'class' is a Python keyword"),
    "package-soft-keyword": ({"project": "match", "package": "match"}, "package: 'match' is a Python keyword"),
    "package-leading-digit": ({"package": "1model"}, "package: '1model' is not a valid Python import"),
    "package-dash": ({"package": "my-model"}, "package: 'my-model' is not a valid Python import name"),
    "package-stdlib": ({"project": "json", "package": "json"}, "package: 'json' would shadow the standard-library"),
    "package-dependency": (
        {"project": "sklearn-tools", "package": "sklearn"},
        "package: 'sklearn' is the import name of one of its dependencies",
    ),
    "package-dependency-module": ({"project": "validate"}, "package: 'validate' is the import name"),  # configobj's
    "project-dependency": (
        {"project": "mlflow", "package": "tracking"},
        "project: 'mlflow' is the name of one of its dependencies",
    ),
    "email": ({"author_email": "someone at example"}, "author_email: 'someone at example'"),
    "email-empty": ({"author_email": ""}, "author_email: '' is not an email"),
    "email-control": ({"author_email": "a\x01b@example.com"}, "author_email: 'a\\x01b@example.com' is not an email"),
    "description-del": ({"description": "fast\x7f"}, "description: 'fast\\x7f' must be a single line"),
    "name-newline": (
        {"project_name": "Two\nlines", "project": "two-lines"},
        "project_name: 'Two\\nlines' must be a single line",
    ),
    "description-empty": ({"description": "  "}, "description: must not be empty"),
    "name-empty": ({"project_name": ""}, "project_name: must not be empty"),
    "slug-with-slashes": ({"project": "../x/y", "package": "y"}, "project: '../x/y' is not a valid slug"),
    "slug-too-long": ({"project": "a" * 300, "package": "a"}, "project: 300 characters, more than 64"),
    "python-unsupported": ({"python_version": "3.9"}, "python_version: '3.9' is not one of 3.11, 3.12, 3.13"),
    "ci-unknown": ({"ci": "circleci"}, "ci: 'circleci' is not one of all, github, gitlab, jenkins"),
    "deploy-target-unknown": ({"deploy_target": "moon"}, "deploy_target: 'moon' is not one of local, kubernetes"),
    "branch-bad": ({"_default_branch": "main..x"}, "_default_branch: 'main..x' is not a git branch name"),
}


@pytest.mark.parametrize(("answers", "reason"), list(REJECTED.values()), ids=list(REJECTED))
def test_bad_answers_fail_with_one_line_and_leave_nothing(tmp_path, capfd, answers, reason):
    output = tmp_path / "out" / "deeper"
    with pytest.raises(SystemExit) as exit_:
        bake_into(output, **answers)
    assert exit_.value.code == 1
    lines = capfd.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: {reason}")
    assert list(tmp_path.iterdir()) == []  # not even the output folder, nor anything beside it


CLI_CASES = ["slug-with-bang", "slug-with-slashes", "slug-too-long", "python-unsupported", "ci-unknown"]


@pytest.mark.parametrize("case", CLI_CASES)
def test_command_line_prints_only_the_reason_in_one_line(tmp_path, case):
    answers, reason = REJECTED[case]
    args = [f"{key}={value}" for key, value in answers.items()]
    output = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", str(TEMPLATE), "--no-input", "-o", str(output), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # ours only: no traceback of cookiecutter's
    assert lines[0].startswith(f"error: {reason}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "project"),
    [("Team/Model: v2", "team-model-v2"), ("A" * 300, "a" * 64)],
    ids=["slashes", "300-characters"],
)
def test_an_awkward_name_makes_a_valid_slug(bake: Bake, name, project):
    assert bake(project_name=name).name == project


def test_any_unicode_in_the_free_text_answers_makes_valid_toml(bake: Bake):
    """An emoji, quotes and a backslash in the description and the author's name: pyproject.toml stays valid
    TOML holding them as typed (tojson wrote an emoji as a surrogate pair, which TOML refuses: uv failed)."""
    description, author = 'Predicts income 💰 "fast" \\ ok', "José 🎉"
    project = bake(description=description, author_name=author)
    metadata = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert metadata["description"] == description
    assert metadata["authors"][0]["name"] == author


def test_replayed_answers_are_checked_by_the_pre_gen_hook(tmp_path, capfd):
    replay = tmp_path / "replay.json"
    bake_into(tmp_path / "first")
    made = json.loads((Path.home() / ".cookiecutter_replay" / f"{TEMPLATE.name}.json").read_text())
    made["cookiecutter"]["author_email"] = "not an email"
    replay.write_text(json.dumps(made))
    output = tmp_path / "replayed"

    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE), replay=str(replay), output_dir=str(output))

    assert "error: author_email: 'not an email' is not an email address" in capfd.readouterr().err
    assert not output.exists() or list(output.iterdir()) == []


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
