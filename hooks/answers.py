"""The answers to the form, checked before anything is written: one line naming the field and the rule.

cookiecutter loads CheckAnswers (cookiecutter.json `_extensions`) into its own process and renders the
rendered private variable `__checked` after every answer is known, through the `checked` filter: a bad answer
prints one line and ends cookiecutter (exit 1) before any folder exists. Answers that skip the form
(`--replay`) meet the same checks through the `problems` filter, which the pre-gen hook is rendered with.
"""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from jinja2 import Environment
from jinja2.ext import Extension

CHOICES = {
    "python_version": ("3.11", "3.12", "3.13"),
    "ci": ("all", "github", "gitlab", "jenkins"),
    "deploy_target": ("local", "kubernetes"),
}
"""Answers with a fixed set of values; the first is the default."""
MAX_SLUG = 64
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+")
BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
DEPENDENCIES = json.loads(Path(__file__).with_name("dependencies.json").read_text(encoding="utf-8"))
"""The distribution and top-level module names of the generated project's environment (uv.lock's
dependencies and dev group, as a default project installs them on Linux; not the optional gcs and azure
extras): a project named like one cannot be installed with it, a package named like one is shadowed by it.
A template test lists them in a baked project's environment and asserts this file is that list."""


def check_text(field: str, value: str) -> str | None:
    if not value.strip():
        return f"{field}: must not be empty"
    if any(ord(char) < 32 or ord(char) == 127 for char in value):  # what TOML and YAML strings refuse
        return f"{field}: {value!r} must be a single line without control characters"
    return None


def check_project(value: str) -> str | None:
    if not SLUG.fullmatch(value):
        return (
            f"project: {value!r} is not a valid slug (lowercase letters, digits and single '-', starting with a letter)"
        )
    if len(value) > MAX_SLUG:
        return f"project: {len(value)} characters, more than {MAX_SLUG} (it names a folder and a command)"
    if value in DEPENDENCIES["distributions"]:
        return f"project: {value!r} is the name of one of its dependencies (a distribution cannot require itself)"
    return None


def check_package(value: str) -> str | None:
    if not IDENTIFIER.fullmatch(value):
        return (
            f"package: {value!r} is not a valid Python import name "
            "(lowercase letters, digits and '_', not starting with a digit)"
        )
    if len(value) > MAX_SLUG:
        return f"package: {len(value)} characters, more than {MAX_SLUG}"
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"package: {value!r} is a Python keyword"
    if value in sys.stdlib_module_names:
        return f"package: {value!r} would shadow the standard-library module of that name"
    if value in DEPENDENCIES["modules"]:
        return f"package: {value!r} is the import name of one of its dependencies; one would shadow the other"
    return None


def check_email(value: str) -> str | None:
    if not EMAIL.fullmatch(value):
        return f"author_email: {value!r} is not an email address (name@domain.tld)"
    return None


def check_choice(field: str, value: str) -> str | None:
    choices = CHOICES[field]
    if value not in choices:
        return f"{field}: {value!r} is not one of {', '.join(choices)}"
    return None


def check_branch(value: str) -> str | None:
    if not BRANCH.fullmatch(value) or ".." in value or value.endswith((".", "/", ".lock")):
        return f"_default_branch: {value!r} is not a git branch name"
    return None


def problems(answers: Mapping[str, object]) -> list[str]:
    """Every broken rule, one line each, in the form's order."""
    text = {key: str(value) for key, value in answers.items()}
    found = [
        check_text("project_name", text["project_name"]),
        check_project(text["project"]),
        check_package(text["package"]),
        check_text("description", text["description"]),
        check_text("author_name", text["author_name"]),
        check_email(text["author_email"]),
        *(check_choice(field, text[field]) for field in CHOICES),
        check_branch(text.get("_default_branch", "main")),
    ]
    return [problem for problem in found if problem]


def refuse(problem: str) -> NoReturn:
    print(f"error: {problem}", file=sys.stderr)
    raise SystemExit(1)


def checked(answers: Mapping[str, object]) -> str:
    """The `checked` filter: "ok", or the first problem printed and cookiecutter ended (exit 1)."""
    found = problems(answers)
    if found:
        refuse(found[0])
    return "ok"


class CheckAnswers(Extension):
    """Adds the `checked` and `problems` filters to cookiecutter's Jinja environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.filters["checked"] = checked
        environment.filters["problems"] = problems
