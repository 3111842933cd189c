"""Check the answers again before anything is written, for answers that skipped the form (`--replay`).

The checks are hooks/answers.py, which also checks the form's answers before cookiecutter creates the
project folder; the first problem is printed in one line and the hook exits 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
sys.path.insert(0, str(Path(ANSWERS["_repo_dir"]) / "hooks"))

from answers import problems  # noqa: E402  (found through the template folder, above)


def main() -> int:
    found = problems(ANSWERS)
    if found:
        print(f"error: {found[0]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
