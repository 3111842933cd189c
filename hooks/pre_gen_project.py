"""Refuse answers that skipped the form (`--replay`), before the project is filled in.

The checks are hooks/answers.py: cookiecutter renders this file with its `problems` filter, so the list
below is what they found. The first problem is printed in one line and the hook exits 1, which makes
cookiecutter remove the project folder. Answers given through the form never get here: the same checks
refuse them before any folder exists.
"""

from __future__ import annotations

import json
import sys

PROBLEMS = json.loads(r"""{{ cookiecutter | problems | tojson }}""")


def main() -> int:
    if PROBLEMS:
        print(f"error: {PROBLEMS[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
