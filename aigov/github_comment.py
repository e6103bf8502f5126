"""The pull-request comment on GitHub: create it once, then update that same comment on every push.

aigov's comment is found by two things together: the hidden marker its
Markdown report starts with, and its author being the identity the token
signs in as. A comment by anyone else is never edited, even if it quotes the
marker. The token's identity is ``GET /user`` where the token may read it (a
personal or app user token); the workflow's ``GITHUB_TOKEN`` may not, and
then it is ``github-actions[bot]``, the author of every comment that token
writes (``--author`` names another).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Final

from aigov.errors import AigovError

ACTIONS_BOT: Final = "github-actions[bot]"
PAGE_SIZE: Final = 100
MAX_PAGES: Final = 50
"""5,000 comments: past that, a pull request is not one a new aigov comment would get lost in."""
TIMEOUT_S: Final = 30


@dataclass(frozen=True, slots=True)
class CommentTarget:
    """Where the comment goes: the API, the repository, the pull request, and who we are."""

    api_url: str  # https://api.github.com, or a GitHub Enterprise Server's /api/v3
    repository: str  # owner/name
    number: int
    token: str
    author: str | None = None  # None: ask GET /user, else github-actions[bot]


@dataclass(frozen=True, slots=True)
class CommentResult:
    action: str  # created | updated
    url: str


class GithubApi:
    """The few REST calls the comment needs, over urllib (no SDK), each error one line."""

    def __init__(self, target: CommentTarget) -> None:
        self._target = target
        self._base = target.api_url.rstrip("/")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(
            f"{self._base}{path}",
            data=data,
            method=method,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {self._target.token}",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "aigov",
                **({"Content-Type": "application/json"} if data is not None else {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, _json_or_none(exc.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise AigovError(f"github: {method} {path}: {reason}") from None


def post_comment(target: CommentTarget, body: str, marker: str) -> CommentResult:
    """Update aigov's own comment on the pull request, or create it; ``body`` gets ``marker`` first."""
    if marker not in body:
        body = f"{marker}\n{body}"
    api = GithubApi(target)
    author = target.author or _own_login(api)
    issue = f"/repos/{_quoted(target.repository)}/issues"
    mine = _find_own_comment(api, f"{issue}/{target.number}/comments", marker, author)
    if mine is None:
        status, created = api.call("POST", f"{issue}/{target.number}/comments", {"body": body})
        _expect(status, created, "POST", f"{issue}/{target.number}/comments", 201)
        return CommentResult("created", str(created.get("html_url", "")))
    path = f"{issue}/comments/{mine}"
    status, updated = api.call("PATCH", path, {"body": body})
    _expect(status, updated, "PATCH", path, 200)
    return CommentResult("updated", str(updated.get("html_url", "")))


def _own_login(api: GithubApi) -> str:
    status, user = api.call("GET", "/user")
    if status == 200 and isinstance(user, dict) and isinstance(user.get("login"), str):
        return str(user["login"])
    if status == 401:  # a bad token is an error, not a reason to guess
        _expect(status, user, "GET", "/user", 200)
    return ACTIONS_BOT  # GITHUB_TOKEN cannot read /user (403); its comments are the bot's


def _find_own_comment(api: GithubApi, path: str, marker: str, author: str) -> int | None:
    for page in range(1, MAX_PAGES + 1):
        status, comments = api.call("GET", f"{path}?per_page={PAGE_SIZE}&page={page}")
        _expect(status, comments, "GET", path, 200)
        if not isinstance(comments, list):
            raise AigovError(f"github: GET {path}: expected a list of comments")
        for comment in comments:
            user = comment.get("user") or {}
            if (
                marker in str(comment.get("body", ""))
                and str(user.get("login", "")).lower() == author.lower()
            ):
                return int(comment["id"])
        if len(comments) < PAGE_SIZE:
            return None
    return None


def _expect(status: int, payload: Any, method: str, path: str, wanted: int) -> None:
    if status == wanted:
        return
    message = payload.get("message") if isinstance(payload, dict) else None
    hint = " (the job needs `permissions: pull-requests: write`)" if status in (403, 404) else ""
    raise AigovError(f"github: {method} {path}: HTTP {status}{': ' + str(message) if message else ''}{hint}")


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _quoted(repository: str) -> str:
    owner, sep, name = repository.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise AigovError(f"--repo {repository!r}: expected OWNER/NAME")
    return f"{urllib.parse.quote(owner, safe='')}/{urllib.parse.quote(name, safe='')}"
