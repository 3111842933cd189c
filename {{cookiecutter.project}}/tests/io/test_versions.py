"""Lineage: the data hash is DVC's MD5, commit and branch come from CI or git, the params hash is stable."""

import hashlib
import subprocess

from {{ cookiecutter.package }}.io.versions import (
    BRANCH_VARIABLES,
    change_request,
    file_md5,
    git_branch,
    git_commit,
    params_hash,
)


def test_file_md5_is_the_plain_md5_dvc_records(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"a,b\n1,2\n" * 1000)
    assert file_md5(path) == hashlib.md5(path.read_bytes()).hexdigest()


def test_no_commit_outside_git(tmp_path):
    assert git_commit(tmp_path) is None


def test_commit_is_marked_dirty_when_tracked_files_change(tmp_path):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@e.x", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    (tmp_path / "f").write_text("1")
    git("add", "f")
    git("commit", "-qm", "one")
    clean = git_commit(tmp_path)
    assert clean is not None
    assert len(clean) == 40
    (tmp_path / "f").write_text("2")
    assert git_commit(tmp_path) == f"{clean}-dirty"


def test_branch_comes_from_ci_first_then_git(tmp_path, monkeypatch):
    for name in BRANCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert git_branch(tmp_path) is None
    subprocess.run(["git", "init", "-q", "-b", "trunk"], cwd=tmp_path, check=True)
    assert git_branch(tmp_path) == "trunk"
    monkeypatch.setenv("CI_COMMIT_BRANCH", "main")
    assert git_branch(tmp_path) == "main"
    monkeypatch.setenv("GITHUB_HEAD_REF", "feature/x")  # a pull request names its source branch
    assert git_branch(tmp_path) == "feature/x"


def test_change_requests_of_each_ci_are_recognised(monkeypatch):
    for name in ("GITHUB_EVENT_NAME", "CI_MERGE_REQUEST_IID", "CHANGE_ID"):
        monkeypatch.delenv(name, raising=False)
    assert change_request() is None
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    assert change_request() is None
    monkeypatch.setenv("CHANGE_ID", "7")
    assert change_request() == "Jenkins change request 7"
    monkeypatch.setenv("CI_MERGE_REQUEST_IID", "3")
    assert change_request() == "GitLab merge request !3"


def test_params_hash_is_stable_and_sensitive():
    assert params_hash({"b": 1, "a": [1, 2]}) == params_hash({"a": [1, 2], "b": 1})
    assert params_hash({"a": 1}) != params_hash({"a": 2})
    assert len(params_hash({})) == 16
