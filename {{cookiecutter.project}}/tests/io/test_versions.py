"""Lineage: the data hash is DVC's MD5 and the commit comes from git."""

import hashlib
import subprocess

from {{ cookiecutter.package }}.io.versions import file_md5, git_commit


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
