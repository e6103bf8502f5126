"""``aigov comment github``: post the Markdown report as the pull request's one aigov comment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from aigov.cli.common import guarded
from aigov.errors import AigovError
from aigov.github_comment import CommentTarget, post_comment
from aigov.readfile import read_regular_text
from aigov.report.markdown import MARKER

BODY_LIMIT = 1 << 20
"""A comment body GitHub accepts is far smaller (65,536 characters); this only bounds the read."""


@click.group()
def comment() -> None:
    """Post a report as a pull-request comment, updating aigov's own comment on later runs."""


@comment.command()
@click.option(
    "--body-file", required=True, metavar="FILE", help="The Markdown report (aigov scan -o FILE.md)."
)
@click.option("--repo", "repository", metavar="OWNER/NAME", help="Default: $GITHUB_REPOSITORY.")
@click.option(
    "--pr",
    "number",
    type=click.IntRange(min=1),
    help="Pull request number. Default: the pull request of $GITHUB_EVENT_PATH.",
)
@click.option(
    "--api-url",
    metavar="URL",
    help="GitHub's REST API. Default: $GITHUB_API_URL, else https://api.github.com.",
)
@click.option(
    "--author",
    metavar="LOGIN",
    help="Who the token comments as (default: GET /user, else github-actions[bot] for GITHUB_TOKEN).",
)
@click.option(
    "--marker", default=MARKER, show_default=True, help="The hidden text that marks aigov's comment."
)
@guarded
def github(
    body_file: str,
    repository: str | None,
    number: int | None,
    api_url: str | None,
    author: str | None,
    marker: str,
) -> int:
    """Create or update aigov's comment on a pull request (token from $GITHUB_TOKEN or $GH_TOKEN).

    The comment is found by its marker and its author together: a comment by
    anyone else is never edited.
    """
    token = os.environ.get("GITHUB_TOKEN") or os.environ.get("GH_TOKEN")
    if not token:
        raise AigovError("set GITHUB_TOKEN (or GH_TOKEN) to a token that may write pull-request comments")
    repository = repository or os.environ.get("GITHUB_REPOSITORY")
    if not repository:
        raise AigovError("give --repo OWNER/NAME (or run in GitHub Actions, which sets GITHUB_REPOSITORY)")
    target = CommentTarget(
        api_url=api_url or os.environ.get("GITHUB_API_URL") or "https://api.github.com",
        repository=repository,
        number=number or _event_pull_request(),
        token=token,
        author=author,
    )
    body = sys.stdin.read() if body_file == "-" else read_regular_text(body_file, BODY_LIMIT)
    result = post_comment(target, body, marker)
    click.echo(f"aigov comment {result.action}: {result.url}", err=True)
    return 0


def _event_pull_request() -> int:
    """The pull request number of the workflow's event (``pull_request`` and ``pull_request_target``)."""
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        raise AigovError("give --pr NUMBER (or run on a pull_request event, which sets GITHUB_EVENT_PATH)")
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AigovError(f"cannot read the event: {exc}", file=path) from None
    pull_request = event.get("pull_request") if isinstance(event, dict) else None
    number = pull_request.get("number") if isinstance(pull_request, dict) else None
    if not isinstance(number, int):
        raise AigovError("not a pull-request event; give --pr NUMBER", file=path)
    return number
