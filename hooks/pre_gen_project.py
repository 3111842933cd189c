"""Reject answers that would generate a broken project, before anything is written.

Each check returns one line naming the field and the rule it breaks; the first failure
is printed and the hook exits 1, so cookiecutter removes the half-made folder.
"""

from __future__ import annotations

import json
import keyword
import re
import sys

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")

SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")
CI_CHOICES = ("all", "github", "gitlab", "jenkins")
SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_text(field: str, value: str) -> str | None:
    if not value.strip():
        return f"{field}: must not be empty"
    if any(ord(char) < 32 for char in value):
        return f"{field}: {value!r} must be a single line without control characters"
    return None


def check_project(value: str) -> str | None:
    if not SLUG.fullmatch(value):
        return (
            f"project: {value!r} is not a valid slug (lowercase letters, digits and single '-', starting with a letter)"
        )
    return None


def check_package(value: str) -> str | None:
    if not IDENTIFIER.fullmatch(value):
        return (
            f"package: {value!r} is not a valid Python import name "
            "(lowercase letters, digits and '_', not starting with a digit)"
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"package: {value!r} is a Python keyword"
    if value in sys.stdlib_module_names:
        return f"package: {value!r} would shadow the standard-library module of that name"
    return None


def check_email(value: str) -> str | None:
    if not EMAIL.fullmatch(value):
        return f"author_email: {value!r} is not an email address (name@domain.tld)"
    return None


def check_python(value: str) -> str | None:
    if value not in SUPPORTED_PYTHONS:
        return f"python_version: {value!r} is not supported (choose one of {', '.join(SUPPORTED_PYTHONS)})"
    return None


def check_ci(value: str) -> str | None:
    if value not in CI_CHOICES:
        return f"ci: {value!r} is not a CI choice (choose one of {', '.join(CI_CHOICES)})"
    return None


def problems(answers: dict[str, str]) -> list[str]:
    found = [
        check_text("project_name", answers["project_name"]),
        check_text("description", answers["description"]),
        check_text("author_name", answers["author_name"]),
        check_project(answers["project"]),
        check_package(answers["package"]),
        check_email(answers["author_email"]),
        check_python(answers["python_version"]),
        check_ci(answers["ci"]),
    ]
    return [problem for problem in found if problem]


def main() -> int:
    found = problems(ANSWERS)
    if found:
        print(f"error: {found[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
