"""The report as one comment on the pull request (GitHub) or merge request (GitLab), updated in place.

REPORT_API_URL, when set, is the forge's REST API instead of the one the CI names (a proxy, a GitHub
Enterprise or GitLab whose API is elsewhere, a stand-in forge in tests).

Where to post is read from the CI environment (GitHub Actions, GitLab CI, or Jenkins with CHANGE_URL).
Our comment is the one that carries the hidden marker AND is written by the token's own user, found on
every page of comments; it is updated if found, created otherwise, and when several exist the oldest is
kept and the others deleted. Nothing is posted when the pull request's head moved on since this run
built it. Every refusal (no token, a fork, an API error) is one line; only `strict` makes it fail.

Standard library only: urllib against the forges' REST APIs (GitHub v3, GitLab v4).
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

TIMEOUT_S = 15
ATTEMPTS = 3
MAX_RETRY_AFTER_S = 60
GITHUB_ACTIONS_AUTHOR = "github-actions[bot]"
"""Who comments with a workflow's GITHUB_TOKEN (which may not read GET /user)."""


def backoff(attempt: int) -> float:
    """Seconds to wait after a failed attempt (a 5xx, no answer) before the next."""
    return 2.0 * attempt


class ForgeError(Exception):
    """The forge refused or failed: one line naming the request and the answer."""


class AnswerLostError(ForgeError):
    """No answer, or a server error: the request may have been carried out all the same."""


@dataclass(frozen=True)
class Thread:
    """One pull request or merge request to comment on, and how to reach it."""

    forge: Literal["github", "gitlab"]
    api: str
    """The REST API's base URL, without a trailing slash."""
    project: str
    """GitHub: owner/repo. GitLab: the project id or its URL-encoded path."""
    number: str
    token: str
    built: str | None = None
    """The head commit this run built; None: unknown, do not check."""
    author: str | None = None
    """Our own login when the token cannot ask (GitHub Actions' GITHUB_TOKEN)."""

    @property
    def name(self) -> str:
        return f"{self.project}#{self.number}" if self.forge == "github" else f"{self.project}!{self.number}"


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str


def plan(comments: list[Comment], marker: str, author: str) -> tuple[int | None, list[int]]:
    """(the comment to update or None to create one, the duplicates to delete): ours carry the marker and are
    written by `author`; the oldest (first listed) is kept. Pure."""
    ours = [comment.id for comment in comments if marker in comment.body and comment.author == author]
    return (ours[0], ours[1:]) if ours else (None, [])


# -- where to post, from the CI environment ----------------------------------------------------------------


def head_commit(env: Mapping[str, str]) -> str | None:
    """The change request's head commit, as the CI says, when it may not be the one checked out: a GitHub
    pull request run checks out the change merged into its target (a `pull_request_target` one, the
    target's tip), a GitLab merged-results pipeline the merge. None otherwise, or when unknown (Jenkins)."""
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        try:
            event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
            sha = event["pull_request"]["head"]["sha"]
        except (KeyError, OSError, ValueError, TypeError):
            return None
        return sha if isinstance(sha, str) and sha else None
    return env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") or None


def thread_from_env(env: Mapping[str, str]) -> Thread | str:
    """The pull/merge request this CI run belongs to, or why nothing is posted (one line)."""
    token = env.get("REPORT_TOKEN", "")
    if env.get("GITHUB_ACTIONS") == "true":
        return _github_actions(env, token)
    if env.get("CI_API_V4_URL"):  # GitLab CI (and gitlab-ci-local, which sets GITLAB_CI=false)
        if not env.get("CI_MERGE_REQUEST_IID"):
            return "not a merge request pipeline"
        if not token:
            return "no REPORT_TOKEN (a masked CI/CD variable: CI_JOB_TOKEN cannot write notes)"
        built = head_commit(env) or env.get("CI_COMMIT_SHA")
        api = (env.get("REPORT_API_URL") or env["CI_API_V4_URL"]).rstrip("/")
        # The merge request's own project: a pipeline of a fork's merge request runs in the fork.
        project = env.get("CI_MERGE_REQUEST_PROJECT_ID") or env["CI_PROJECT_ID"]
        return Thread("gitlab", api, project, env["CI_MERGE_REQUEST_IID"], token, built)
    if env.get("JENKINS_URL"):
        return _jenkins(env, token)
    return "not in CI"


def _github_actions(env: Mapping[str, str], report_token: str) -> Thread | str:
    if not env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        return f"not a pull request ({env.get('GITHUB_EVENT_NAME', 'no event')})"
    try:
        event = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text(encoding="utf-8"))
        pull = event["pull_request"]
        number, head = str(pull["number"]), pull["head"]
    except (KeyError, OSError, ValueError, TypeError) as error:
        return f"the pull request's number is not in GITHUB_EVENT_PATH ({error})"
    repository = env.get("GITHUB_REPOSITORY", "")
    if (head.get("repo") or {}).get("full_name", repository) != repository:
        return "a pull request from a fork: its token cannot comment; the report is in the job summary"
    token = report_token or env.get("GITHUB_TOKEN", "")
    if not token:
        return "no GITHUB_TOKEN"
    api = (env.get("REPORT_API_URL") or env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
    # The job's token comments as github-actions[bot] and may not read GET /user; any other token may.
    author = None if report_token else GITHUB_ACTIONS_AUTHOR
    return Thread("github", api, repository, number, token, head_commit(env), author)


def _jenkins(env: Mapping[str, str], token: str) -> Thread | str:
    url = env.get("CHANGE_URL", "")
    if not env.get("CHANGE_ID") or not url:
        return "not a change request build (no CHANGE_ID/CHANGE_URL)"
    if not token:
        return "no REPORT_TOKEN credential bound"
    parts = urllib.parse.urlsplit(url)
    if match := re.fullmatch(r"/(.+?)/-/merge_requests/(\d+)/?", parts.path):
        api = (env.get("REPORT_API_URL") or f"{parts.scheme}://{parts.netloc}/api/v4").rstrip("/")
        # A GitLab served under a path (https://host/gitlab/): REPORT_API_URL names it, the project follows it
        under = urllib.parse.urlsplit(api).path.removesuffix("/api/v4").strip("/")
        project = match[1].removeprefix(f"{under}/") if under else match[1]
        return Thread("gitlab", api, urllib.parse.quote(project, safe=""), match[2], token)
    if match := re.fullmatch(r"/([^/]+/[^/]+)/pull/(\d+)/?", parts.path):
        default = (
            "https://api.github.com"
            if parts.netloc == "github.com"
            else f"{parts.scheme}://{parts.netloc}/api/v3"
        )
        api = env.get("REPORT_API_URL") or default
        return Thread("github", api.rstrip("/"), match[1], match[2], token)
    return f"CHANGE_URL {url} is neither a GitHub pull request nor a GitLab merge request"


# -- HTTP --------------------------------------------------------------------------------------------------

Sleep = Callable[[float], None]


@dataclass
class Api:
    thread: Thread
    sleep: Sleep = time.sleep

    def headers(self) -> dict[str, str]:
        if self.thread.forge == "github":
            return {
                "Authorization": f"Bearer {self.thread.token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
            }
        return {"PRIVATE-TOKEN": self.thread.token}

    def call(
        self, method: str, url: str, body: dict | None = None, retry_lost: bool = True
    ) -> tuple[Any, dict[str, str]]:
        """(parsed JSON or None, response headers); retries a rate limit (Retry-After), and, with retry_lost,
        no answer and 5xx, which may have been carried out all the same (AnswerLostError); else ForgeError."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers(), "User-Agent": "pipeline-report", "Content-Type": "application/json"}
        shown = f"{method} {urllib.parse.urlsplit(url).path}"
        for attempt in range(1, ATTEMPTS + 1):
            try:
                request = urllib.request.Request(url, data=data, method=method, headers=headers)
                with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                    text = response.read().decode("utf-8")
                    return (json.loads(text) if text.strip() else None), dict(response.headers)
            except urllib.error.HTTPError as error:
                answer = _answer(error)
                limited = _rate_limited(error)
                lost = error.code >= 500 and not limited
                wait = _retry_after(error) if limited else (backoff(attempt) if lost and retry_lost else None)
                if wait is None or attempt == ATTEMPTS:
                    hint = _hint(429 if limited else error.code)
                    failed = AnswerLostError if lost else ForgeError
                    raise failed(f"{shown}: {error.code} {error.reason}{answer}{hint}") from None
                self.sleep(wait)
            except (urllib.error.URLError, TimeoutError, OSError, http.client.HTTPException) as error:
                reason = getattr(error, "reason", error)
                if attempt == ATTEMPTS or not retry_lost:
                    raise AnswerLostError(f"{shown}: no answer ({reason})") from None
                self.sleep(backoff(attempt))
            except ValueError as error:  # a URL without a scheme, an answer that is not JSON
                raise ForgeError(f"{shown}: {error}") from None
        raise AssertionError("unreachable")

    def record(
        self, method: str, url: str, body: dict | None = None, retry_lost: bool = True
    ) -> dict[str, Any]:
        """call() for an answer that must be a JSON object (a pull request, a user, a comment)."""
        found, _ = self.call(method, url, body, retry_lost)
        if not isinstance(found, dict):
            raise ForgeError(f"{method} {urllib.parse.urlsplit(url).path}: the answer is not a JSON object")
        return found

    def pages(self, url: str) -> list[dict[str, Any]]:
        """Every item of a paginated list of JSON objects, following the Link header's rel="next"."""
        items: list[dict[str, Any]] = []
        next_url: str | None = url
        for _ in range(1000):  # bounded: a forge that links in a circle stops here
            if next_url is None:
                return items
            page, headers = self.call("GET", next_url)
            if not (isinstance(page, list) and all(isinstance(i, dict) for i in page)):  # [] when none
                path = urllib.parse.urlsplit(next_url).path
                raise ForgeError(f"GET {path}: the answer is not a list of objects")
            items += page or []
            next_url = _next_link(headers.get("Link") or headers.get("link") or "")
        raise ForgeError(f"GET {urllib.parse.urlsplit(url).path}: more than 1000 pages")


def _answer(error: urllib.error.HTTPError) -> str:
    try:
        message = json.loads(error.read().decode("utf-8") or "{}").get("message")
    except (ValueError, AttributeError, OSError):
        message = None
    return f" ({message})" if message else ""


def _rate_limited(error: urllib.error.HTTPError) -> bool:
    """429, or GitHub's 403 for a rate limit: with Retry-After, or no requests remaining."""
    headers = error.headers
    limit_403 = headers.get("Retry-After") is not None or headers.get("X-RateLimit-Remaining") == "0"
    return error.code == 429 or (error.code == 403 and limit_403)


def _retry_after(error: urllib.error.HTTPError) -> float | None:
    """Seconds to wait: Retry-After, else until X-RateLimit-Reset (epoch seconds), else 5; None past the most
    this waits."""
    headers = error.headers
    try:
        if headers.get("Retry-After") is None and headers.get("X-RateLimit-Reset") is not None:
            seconds = float(headers["X-RateLimit-Reset"]) - time.time()
        else:
            seconds = float(headers.get("Retry-After", ""))
    except ValueError:
        seconds = 5.0
    return max(seconds, 0.0) if seconds <= MAX_RETRY_AFTER_S else None


def _hint(code: int) -> str:
    return {
        401: "; the token is missing, expired or revoked",
        403: "; the token may not write comments here (a fork? a read-only token?)",
        404: "; no such pull/merge request, or the token cannot see the project",
        422: "; the forge refused the comment's content",
        429: "; rate limited",
    }.get(code, "")


def _next_link(link: str) -> str | None:
    for part in link.split(","):
        if match := re.fullmatch(r'\s*<([^>]+)>\s*;\s*rel="?next"?\s*', part):
            return match[1]
    return None


# -- the comment -------------------------------------------------------------------------------------------


def _urls(thread: Thread) -> dict[str, str]:
    base = (
        f"{thread.api}/repos/{thread.project}"
        if thread.forge == "github"
        else f"{thread.api}/projects/{thread.project}"
    )
    if thread.forge == "github":
        return {
            "head": f"{base}/pulls/{thread.number}",
            "list": f"{base}/issues/{thread.number}/comments?per_page=100",
            "create": f"{base}/issues/{thread.number}/comments",
            "one": f"{base}/issues/comments/",
            "user": f"{thread.api}/user",
        }
    notes = f"{base}/merge_requests/{thread.number}/notes"
    return {
        "head": f"{base}/merge_requests/{thread.number}",
        "list": f"{notes}?per_page=100&sort=asc&order_by=created_at",
        "create": notes,
        "one": f"{notes}/",
        "user": f"{thread.api}/user",
    }


def _comments(thread: Thread, items: list[dict]) -> list[Comment]:
    items = [item for item in items if "id" in item]  # none of ours: ours are updated by id
    if thread.forge == "github":
        return [
            Comment(item["id"], (item.get("user") or {}).get("login", ""), item.get("body") or "")
            for item in items
        ]
    return [
        Comment(item["id"], (item.get("author") or {}).get("username", ""), item.get("body") or "")
        for item in items
        if not item.get("system")
    ]


def _create(
    api: Api, thread: Thread, url: str, text: str, ours: Callable[[], tuple[int | None, list[int]]]
) -> str:
    """POST our comment. A lost answer (none, or a 5xx) may still have created it: the thread is read for it
    before posting again, so that a retry never leaves a second comment."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            created = api.record("POST", url, {"body": text}, retry_lost=False)
        except AnswerLostError:
            landed, _ = ours()
            if landed is not None:
                return f"created comment {landed} on {thread.name} (its answer was lost)"
            if attempt == ATTEMPTS:
                raise
            api.sleep(backoff(attempt))
            continue
        if "id" not in created:
            raise ForgeError(f"POST {urllib.parse.urlsplit(url).path}: the answer names no comment")
        return f"created comment {created['id']} on {thread.name}"
    raise AssertionError("unreachable")


def upsert(thread: Thread, body: str, marker: str, sleep: Sleep = time.sleep) -> str:
    """Create or update our one comment on the thread; what was done, as one line. Raises ForgeError."""
    api = Api(thread, sleep)
    urls = _urls(thread)
    if thread.built:
        head = api.record("GET", urls["head"])
        current = (head.get("head") or {}).get("sha") if thread.forge == "github" else head.get("sha")
        if current and current != thread.built:
            moved = f"{thread.name} has moved on to {current[:12]}"
            return f"not posted: {moved}; this run built {thread.built[:12]}"
    author = thread.author
    if author is None:
        user = api.record("GET", urls["user"])
        author = user.get("login") if thread.forge == "github" else user.get("username")

    def ours() -> tuple[int | None, list[int]]:
        return plan(_comments(thread, api.pages(urls["list"])), marker, author or "")

    keep, duplicates = ours()
    text = f"{body.rstrip()}\n\n{marker}\n"
    if keep is None:
        return _create(api, thread, urls["create"], text, ours)
    api.call("PATCH" if thread.forge == "github" else "PUT", f"{urls['one']}{keep}", {"body": text})
    for duplicate in duplicates:
        api.call("DELETE", f"{urls['one']}{duplicate}")
    healed = f", deleted {len(duplicates)} duplicate(s)" if duplicates else ""
    return f"updated comment {keep} on {thread.name}{healed}"
