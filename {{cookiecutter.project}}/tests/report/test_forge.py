"""Posting the report as one comment, updated in place, against the STAND-IN forge of conftest.py (a local
HTTP server speaking the GitHub and GitLab endpoints used, two comments a page): never the real services."""

from __future__ import annotations

import json
import subprocess
import threading
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from {{ cookiecutter.package }}.cli import main
from {{ cookiecutter.package }}.io import forge as posting
from {{ cookiecutter.package }}.io.forge import Thread, plan, thread_from_env, upsert
from {{ cookiecutter.package }}.stages.report import MARKER

GITHUB_THREAD = "github:acme/income#7"
GITLAB_THREAD = "gitlab:42!7"
BOT = "github-actions[bot]"  # the stand-in's login for the actions token, as on GitHub


def github(forge, token: str = "actions-token", built: str | None = "c0ffee") -> Thread:
    forge.heads.setdefault(GITHUB_THREAD, "c0ffee")
    author = BOT if token == "actions-token" else None
    return Thread("github", f"{forge.url}/api/v3", "acme/income", "7", token, built, author)


def gitlab(forge, token: str = "gitlab-token", built: str | None = "c0ffee") -> Thread:
    forge.heads.setdefault(GITLAB_THREAD, "c0ffee")
    return Thread("gitlab", f"{forge.url}/api/v4", "42", "7", token, built)


THREADS = {"github": (github, GITHUB_THREAD, BOT), "gitlab": (gitlab, GITLAB_THREAD, "report-bot")}


def no_sleep(seconds: float) -> None:
    pass


@pytest.fixture(params=sorted(THREADS))
def side(request: pytest.FixtureRequest, forge):
    """(thread, the stand-in's name for it, our author) on each forge, with three comments by others first,
    so that ours is on a later page."""
    make, name, author = THREADS[request.param]
    thread = make(forge)
    for text in ("LGTM", "one nit", "ship it"):
        forge.add(name, "reviewer", text)
    return thread, name, author


def test_first_push_creates_and_the_second_updates_the_same_comment(forge, side):
    thread, name, author = side

    first = upsert(thread, "## ✅ first run", MARKER, no_sleep)
    second = upsert(thread, "## ❌ second run", MARKER, no_sleep)

    ours = forge.bodies(name, author)
    assert len(ours) == 1
    assert ours[0].startswith("## ❌ second run")
    assert MARKER in ours[0]
    assert first.startswith("created comment")
    assert second.startswith("updated comment")
    assert first.split()[2] == second.split()[2]  # the same comment id
    assert len(forge.bodies(name)) == 4
    lists = [
        path for method, path in forge.requests if method == "GET" and path.endswith(("comments", "notes"))
    ]
    assert len(lists) == 2 * 2  # every page walked, twice (3 then 4 comments, two a page)


def test_a_marked_comment_by_someone_else_is_left_alone(forge, side):
    thread, name, author = side
    quoted = forge.add(name, "reviewer", f"quoting the bot:\n{MARKER}")

    upsert(thread, "report", MARKER, no_sleep)

    assert any(c["id"] == quoted and c["body"].startswith("quoting") for c in forge.comments[name])
    assert len(forge.bodies(name, author)) == 1


def test_duplicates_are_healed_keeping_the_oldest(forge, side):
    thread, name, author = side
    oldest = forge.add(name, author, f"old\n{MARKER}")
    forge.add(name, author, f"dup\n{MARKER}")
    forge.add(name, author, f"dup\n{MARKER}")

    line = upsert(thread, "new", MARKER, no_sleep)

    assert line.endswith("deleted 2 duplicate(s)")
    ours = [c for c in forge.comments[name] if c["author"] == author]
    assert [c["id"] for c in ours] == [oldest]
    assert ours[0]["body"].startswith("new")


def test_a_moved_head_is_not_overwritten(forge, side):
    thread, name, _ = side
    forge.heads[name] = "newer1234567"

    line = upsert(thread, "stale", MARKER, no_sleep)

    assert line == "not posted: " + thread.name + " has moved on to newer1234567; this run built c0ffee"
    assert len(forge.bodies(name)) == 3


def test_gitlab_system_notes_are_skipped_and_our_author_comes_from_get_user(forge):
    thread = gitlab(forge)
    forge.add(GITLAB_THREAD, "report-bot", f"added 1 commit\n{MARKER}", system=True)

    upsert(thread, "report", MARKER, no_sleep)
    upsert(thread, "report again", MARKER, no_sleep)

    ours = [c for c in forge.comments[GITLAB_THREAD] if c["author"] == "report-bot" and not c["system"]]
    assert [c["body"].split("\n")[0] for c in ours] == ["report again"]
    assert ("GET", "/api/v4/user") in forge.requests


def test_a_personal_token_finds_its_login_through_get_user(forge):
    thread = github(forge, token="jenkins-token")
    upsert(thread, "from Jenkins", MARKER, no_sleep)
    upsert(thread, "from Jenkins again", MARKER, no_sleep)
    assert forge.bodies(GITHUB_THREAD, "jenkins-bot") == [f"from Jenkins again\n\n{MARKER}\n"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "401 Unauthorized (stand-in fault 401); the token is missing, expired or revoked"),
        (403, "403 Forbidden (stand-in fault 403); the token may not write comments here"),
        (404, "404 Not Found (stand-in fault 404); no such pull/merge request"),
        (422, "422 Unprocessable Entity (stand-in fault 422); the forge refused the comment's content"),
    ],
)
def test_a_refusal_is_one_line_naming_request_and_answer(forge, side, status, expected):
    thread, name, _ = side
    create = ".*/(comments|notes)"
    forge.fail("POST", create, status)

    with pytest.raises(posting.ForgeError) as error:
        upsert(thread, "report", MARKER, no_sleep)

    assert expected in str(error.value)
    assert "\n" not in str(error.value)
    assert str(error.value).startswith("POST /api/v")
    assert len(forge.bodies(name)) == 3


def test_rate_limits_wait_for_retry_after_then_post(forge, side):
    thread, name, author = side
    forge.fail("GET", ".*/(comments|notes)", 429, count=2, headers={"Retry-After": "3"})
    waits: list[float] = []

    upsert(thread, "report", MARKER, waits.append)

    assert waits == [3.0, 3.0]
    assert len(forge.bodies(name, author)) == 1


def test_githubs_403_for_a_rate_limit_waits_like_a_429(forge, side):
    thread, name, author = side
    forge.fail("POST", ".*/(comments|notes)", 403, headers={"Retry-After": "2"})  # a secondary rate limit
    waits: list[float] = []

    upsert(thread, "report", MARKER, waits.append)

    assert waits == [2.0]
    assert len(forge.bodies(name, author)) == 1
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "99999999999"}  # a reset too far to wait for
    forge.fail("GET", ".*/(comments|notes)", 403, count=3, headers=spent)
    with pytest.raises(posting.ForgeError, match=r"403 Forbidden .*; rate limited$"):
        upsert(thread, "report", MARKER, waits.append)


def test_server_errors_are_retried_and_then_reported(forge, side):
    thread, name, _ = side
    forge.fail("POST", ".*/(comments|notes)", 502, count=5)
    waits: list[float] = []

    with pytest.raises(posting.ForgeError, match=r"POST .*: 502 Bad Gateway"):
        upsert(thread, "report", MARKER, waits.append)

    assert waits == [2.0, 4.0]  # three attempts
    assert len(forge.bodies(name)) == 3


def test_a_comment_whose_answer_was_lost_is_not_posted_again(forge, side):
    """The POST created the comment, then its answer was lost (a 502 from a proxy): posting again would leave
    two. The thread is read first, and the comment found there."""
    thread, name, author = side
    forge.fail("POST", ".*/(comments|notes)", 502, performed=True)

    said = upsert(thread, "report", MARKER, no_sleep)

    assert said.startswith("created comment "), said
    assert said.endswith(" (its answer was lost)"), said
    assert len(forge.bodies(name, author)) == 1


def test_a_forge_that_does_not_answer_in_time_is_one_line(forge, side, monkeypatch):
    thread, _, _ = side
    monkeypatch.setattr(posting, "TIMEOUT_S", 0.2)
    forge.fail("GET", ".*/(pulls|merge_requests)/7", 200, count=3, delay_s=0.6)

    with pytest.raises(posting.ForgeError, match=r"^GET /api/v\d/.*/7: no answer \(.*timed out\)$"):
        upsert(thread, "report", MARKER, no_sleep)


def test_the_stand_in_stops_only_when_its_answers_under_way_are_done(stand_in, capsys):
    """A delayed answer whose client gave up must not outlive its test: in CI, one that woke in the next
    test printed a broken pipe's traceback, whose parse raced that test's own (CPython 3.11.7's
    "AST constructor recursion depth mismatch")."""
    before = set(threading.enumerate())
    with stand_in() as forge:
        forge.fail("GET", "/slow", 200, delay_s=0.3)
        with pytest.raises(OSError, match="timed out"):
            urllib.request.urlopen(f"{forge.url}/slow", timeout=0.05)

    assert set(threading.enumerate()) <= before
    assert capsys.readouterr().err == ""


def test_plan_keeps_the_oldest_of_ours():
    comments = [
        posting.Comment(1, "someone", MARKER),
        posting.Comment(2, "bot", MARKER),
        posting.Comment(3, "bot", "no marker"),
        posting.Comment(4, "bot", MARKER),
    ]
    assert plan(comments, MARKER, "bot") == (2, [4])
    assert plan(comments[:1], MARKER, "bot") == (None, [])


# -- where to post ----------------------------------------------------------------------------------------


def github_event(tmp_path: Path, head_repo: str = "acme/income", head_sha: str = "c0ffee") -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(
        json.dumps(
            {
                "number": 7,
                "pull_request": {"number": 7, "head": {"sha": head_sha, "repo": {"full_name": head_repo}}},
            }
        )
    )
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": "acme/income",
        "GITHUB_TOKEN": "actions-token",
        "GITHUB_API_URL": "https://api.github.example",
    }


def test_a_bad_api_url_or_an_answer_that_is_not_json_is_one_line(forge, side):
    thread, _, _ = side
    with pytest.raises(posting.ForgeError, match=r"unknown url type"):
        upsert(replace(thread, api="forge.example/api"), "report", MARKER, no_sleep)
    forge.fail("GET", ".*/(comments|notes)", 200, body="<html>sign in</html>")
    with pytest.raises(posting.ForgeError, match=r"^GET /api/v\d/.*: Expecting value"):
        upsert(thread, "report", MARKER, no_sleep)
    forge.fail("GET", ".*/(pulls|merge_requests)/7", 200, body="")  # a proxy's empty answer
    with pytest.raises(posting.ForgeError, match=r"^GET /api/v\d/.*/7: the answer is not a JSON object$"):
        upsert(thread, "report", MARKER, no_sleep)
    forge.fail("GET", ".*/(comments|notes)", 200, body='{"message": "not a list"}')
    with pytest.raises(posting.ForgeError, match=r"^GET /api/v\d/.*: the answer is not a list of objects$"):
        upsert(thread, "report", MARKER, no_sleep)


def test_the_thread_comes_from_each_ci_environment(tmp_path: Path):
    assert thread_from_env(github_event(tmp_path)) == Thread(
        "github", "https://api.github.example", "acme/income", "7", "actions-token", "c0ffee", BOT
    )
    gitlab_env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_COMMIT_SHA": "c0ffee",
        "REPORT_TOKEN": "gitlab-token",
    }
    assert thread_from_env(gitlab_env) == Thread(
        "gitlab", "https://gitlab.example/api/v4", "42", "7", "gitlab-token", "c0ffee"
    )
    # A fork's merge request: the pipeline runs in the fork, the merge request is the target project's.
    fork = thread_from_env({**gitlab_env, "CI_PROJECT_ID": "99", "CI_MERGE_REQUEST_PROJECT_ID": "42"})
    assert fork.project == "42"
    # On GitHub, a REPORT_TOKEN (a person's or an app's) finds its own login through GET /user.
    assert thread_from_env({**github_event(tmp_path), "REPORT_TOKEN": "jenkins-token"}).author is None
    jenkins = {"JENKINS_URL": "https://ci.example/", "CHANGE_ID": "7", "REPORT_TOKEN": "t"}
    assert thread_from_env({**jenkins, "CHANGE_URL": "https://github.com/acme/income/pull/7"}) == Thread(
        "github", "https://api.github.com", "acme/income", "7", "t"
    )
    assert thread_from_env(
        {**jenkins, "CHANGE_URL": "https://gitlab.example/group/sub/income/-/merge_requests/7"}
    ) == (Thread("gitlab", "https://gitlab.example/api/v4", "group%2Fsub%2Fincome", "7", "t"))
    under_a_path = {"CHANGE_URL": "https://host.example/gitlab/group/income/-/merge_requests/7",
                    "REPORT_API_URL": "https://host.example/gitlab/api/v4"}  # fmt: skip
    assert thread_from_env({**jenkins, **under_a_path}) == (
        Thread("gitlab", "https://host.example/gitlab/api/v4", "group%2Fincome", "7", "t")
    )


def test_the_report_names_the_requests_head_commit_and_the_merge_it_tested(project, tmp_path, monkeypatch):
    """A GitHub pull request run (and a GitLab merged-results pipeline) checks out the change merged into its
    target: a commit the reviewer never sees. The report names the head, and the merge commit it tested."""
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.com", "-C", str(project.root)]

    def commit(message: str) -> str:
        subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", message], check=True)
        found = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
        return found.stdout.strip()

    head = commit("the pull request's head")
    merge = commit("its merge into main")  # the head is its parent, as in GitHub's merge commit
    env = github_event(tmp_path, head_sha=head)
    del env["GITHUB_TOKEN"]  # nothing is posted
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert main(["report"]) == 0
    expected = f"commit `{head[:12]}` (tested merged into its target: `{merge[:12]}`)"
    assert expected in project.report_markdown.read_text().splitlines()[2]
    assert f"<p>tested merged into its target: {merge}</p>" in project.report_html.read_text()

    # pull_request_target checks out the target's tip, which is not the change merged: that is what it names
    monkeypatch.setenv("GITHUB_EVENT_PATH", github_event(tmp_path, head_sha="c0ffee")["GITHUB_EVENT_PATH"])
    assert main(["report"]) == 0
    assert f"commit `{merge[:12]}` · branch" in project.report_markdown.read_text().splitlines()[2]
    merged_results = {"CI_API_V4_URL": "https://gitlab.example/api/v4"}
    merged_results["CI_MERGE_REQUEST_SOURCE_BRANCH_SHA"] = "c0"
    assert posting.head_commit(merged_results) == "c0"
    assert posting.head_commit({**merged_results, "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": ""}) is None


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({}, "not in CI"),
        ({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}, "not a pull request (push)"),
        (
            {"CI_API_V4_URL": "https://gitlab.example/api/v4", "CI_COMMIT_SHA": "c0ffee"},
            "not a merge request pipeline",
        ),
        (
            {"CI_API_V4_URL": "https://gitlab.example/api/v4", "CI_MERGE_REQUEST_IID": "7"},
            "no REPORT_TOKEN (a masked CI/CD variable: CI_JOB_TOKEN cannot write notes)",
        ),
        ({"JENKINS_URL": "https://ci.example/", "BRANCH_NAME": "main"}, "not a change request build"),
        (
            {
                "JENKINS_URL": "https://ci.example/",
                "CHANGE_ID": "7",
                "CHANGE_URL": "https://github.com/a/b/pull/7",
            },
            "no REPORT_TOKEN credential bound",
        ),
    ],
)
def test_without_a_thread_or_a_token_nothing_is_posted_and_it_says_why(env, why):
    assert thread_from_env(env).startswith(why)


def test_a_fork_gets_the_job_summary_and_a_notice_not_a_failure(
    project, tmp_path, monkeypatch, capsys, forge
):
    env = {**github_event(tmp_path, head_repo="someone/income"), "GITHUB_API_URL": f"{forge.url}/api/v3"}
    summary = tmp_path / "summary.md"
    for name, value in {**env, "GITHUB_STEP_SUMMARY": str(summary)}.items():
        monkeypatch.setenv(name, value)

    assert main(["report"]) == 0

    out = capsys.readouterr().out
    assert "::notice title=Pipeline report::a pull request from a fork" in out
    assert summary.read_text().startswith("## ")
    assert forge.requests == []


def test_the_report_stage_posts_then_updates_and_never_fails_on_an_api_error(
    project, tmp_path, monkeypatch, capsys, forge
):
    forge.heads[GITHUB_THREAD] = "c0ffee"
    env = {
        **github_event(tmp_path),
        "GITHUB_API_URL": f"{forge.url}/api/v3",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    assert main(["report"]) == 0
    assert main(["report"]) == 0
    (comment,) = forge.comments[GITHUB_THREAD]
    assert comment["body"].startswith("## ")
    assert comment["body"].rstrip().endswith(MARKER)

    forge.fail("PATCH", ".*", 403)
    capsys.readouterr()
    assert main(["report"]) == 0
    assert "report: not posted to acme/income#7: PATCH" in capsys.readouterr().out
    forge.fail("PATCH", ".*", 403)
    assert main(["report", "--strict"]) == 1


# -- the stand-in speaks the forges' wire format -----------------------------------------------------------


def test_pygithub_reads_and_writes_comments_through_the_stand_in(forge):
    """PyGithub, GitHub's most used Python client, pointed at the stand-in: what our code relies on (pages
    by Link header, the comment's author and id, create, edit, delete) means the same to it."""
    from github import Auth, Github

    thread = github(forge, token="jenkins-token")
    for text in ("a", "b", "c"):
        forge.add(GITHUB_THREAD, "reviewer", text)
    upsert(thread, "ours", MARKER, no_sleep)
    client = Github(
        auth=Auth.Token("jenkins-token"), base_url=f"{forge.url}/api/v3", per_page=2, retry=None,
        seconds_between_requests=0, seconds_between_writes=0,  # PyGithub's throttle: 1 s a write
    )  # fmt: skip
    issue = client.get_repo("acme/income").get_issue(7)

    comments = list(issue.get_comments())
    assert [(c.user.login, c.body.split("\n")[0]) for c in comments] == [
        ("reviewer", "a"), ("reviewer", "b"), ("reviewer", "c"), ("jenkins-bot", "ours")
    ]  # fmt: skip
    comments[-1].edit("edited by PyGithub")
    issue.create_comment("created by PyGithub").delete()
    assert client.get_user().login == "jenkins-bot"
    assert forge.bodies(GITHUB_THREAD, "jenkins-bot") == ["edited by PyGithub"]


def test_python_gitlab_reads_and_writes_notes_through_the_stand_in(forge):
    """python-gitlab pointed at the stand-in: notes listed over pages, authors, system flags, create, update,
    delete, and the token's own user."""
    import gitlab as python_gitlab

    thread = gitlab(forge)
    forge.add(GITLAB_THREAD, "reviewer", "a")
    forge.add(GITLAB_THREAD, "report-bot", "merged", system=True)
    forge.add(GITLAB_THREAD, "reviewer", "b")
    upsert(thread, "ours", MARKER, no_sleep)
    client = python_gitlab.Gitlab(
        forge.url, private_token="gitlab-token", per_page=2, retry_transient_errors=False
    )
    client.auth()
    request = client.projects.get(42, lazy=True).mergerequests.get(7, lazy=True)

    notes = request.notes.list(get_all=True)
    assert [(n.author["username"], n.system, n.body.split("\n")[0]) for n in notes] == [
        ("reviewer", False, "a"), ("report-bot", True, "merged"),
        ("reviewer", False, "b"), ("report-bot", False, "ours"),
    ]  # fmt: skip
    notes[-1].body = "edited by python-gitlab"
    notes[-1].save()
    request.notes.create({"body": "created by python-gitlab"}).delete()
    assert client.user.username == "report-bot"
    assert forge.bodies(GITLAB_THREAD, "report-bot") == ["merged", "edited by python-gitlab"]
