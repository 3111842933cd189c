"""Finish a freshly generated project: a git repository with a first commit, then next steps.

DVC needs no tool here: the template ships the files `dvc init` writes (.dvc/config with
analytics and update checks off, .dvc/.gitignore, .dvcignore), so the project is a DVC
repository whether or not DVC is installed where cookiecutter runs. Nothing here uses the network.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

ANSWERS = json.loads(r"""{{ cookiecutter | tojson }}""")
PROJECT_DIR = Path.cwd()


def remove_github_actions() -> None:
    shutil.rmtree(PROJECT_DIR / ".github")


def remove_gitlab_ci() -> None:
    (PROJECT_DIR / ".gitlab-ci.yml").unlink()


def remove_jenkinsfile() -> None:
    (PROJECT_DIR / "Jenkinsfile").unlink()


def remove_unselected_ci(choice: str) -> None:
    """Every CI definition lives in the template; keep the chosen one (or all three)."""
    removers = {"github": remove_github_actions, "gitlab": remove_gitlab_ci, "jenkins": remove_jenkinsfile}
    for provider, remove in removers.items():
        if choice not in ("all", provider):
            remove()
    if choice == "github":  # Renovate is for GitLab and Jenkins users; GitHub's have .github/dependabot.yml
        (PROJECT_DIR / "renovate.json").unlink()


def remove_unselected_target(target: str) -> None:
    """The Kubernetes manifests only for the kubernetes target."""
    if target != "kubernetes":
        shutil.rmtree(PROJECT_DIR / "deploy" / "kubernetes")


def run_git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=PROJECT_DIR, check=True, capture_output=True, text=True)


def git_identity() -> list[str]:
    """Use the user's git identity if set, otherwise the author given in the form."""
    configured = subprocess.run(["git", "config", "user.email"], cwd=PROJECT_DIR, capture_output=True, text=True)
    if configured.stdout.strip():
        return []
    return ["-c", f"user.name={ANSWERS['author_name']}", "-c", f"user.email={ANSWERS['author_email']}"]


def init_git() -> str:
    if shutil.which("git") is None:
        return f"skipped git: git is not installed (run `git init -b {ANSWERS['_default_branch']}` yourself later)"
    try:
        run_git("init", "--quiet", f"--initial-branch={ANSWERS['_default_branch']}")
        run_git("add", "--all")
        run_git(
            *git_identity(),
            "-c",
            "commit.gpgsign=false",
            "commit",
            "--quiet",
            "--no-verify",
            "--message",
            "Initial commit from cookiecutter-mlops-cicd",
        )
    except subprocess.CalledProcessError as error:
        reason = (error.stderr or error.stdout or "").strip().splitlines()
        return f"skipped git commit: {reason[-1] if reason else error}"
    return f"git: repository initialised on branch {ANSWERS['_default_branch']} with a first commit"


def use_dvc_without_git() -> str:
    """DVC refuses to run outside git unless told so; tell it, for projects created without git."""
    config = PROJECT_DIR / ".dvc" / "config"
    config.write_text(config.read_text(encoding="utf-8") + "    no_scm = true\n", encoding="utf-8")
    return "dvc: set core.no_scm (no git repository); remove it once you run `git init`"


def next_steps() -> str:
    return "\n".join(
        [
            "",
            f"Next steps for {ANSWERS['project_name']}:",
            f"  cd {ANSWERS['project']}",
            "  make setup      # uv sync --locked: installs the environment",
            f"  make pipeline   # what CI runs, every stage in order (`{ANSWERS['project']} pipeline --list`)",
            "  make mlflow-ui  # browse runs and the registered model",
        ]
    )


def main() -> None:
    remove_unselected_ci(ANSWERS["ci"])
    remove_unselected_target(ANSWERS["deploy_target"])
    print(init_git())
    print("dvc: repository ready (.dvc/ with analytics off)")
    if not (PROJECT_DIR / ".git").is_dir():
        print(use_dvc_without_git())
    print(next_steps())


if __name__ == "__main__":
    main()
