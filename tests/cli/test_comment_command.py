"""``aigov comment github`` against a local fake GitHub API: it updates its own comment, never another's."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.report.markdown import MARKER

TOKEN = "test-token"


class FakeGithub(ThreadingHTTPServer):
    """Issue comments of one pull request (owner/repo#7), paged as GitHub pages them."""

    def __init__(self, user_login: str | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.user_login = user_login  # None: GET /user is 403, as for GITHUB_TOKEN
        self.comments: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.next_id = 1000

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def add(self, login: str, body: str) -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "user": {"login": login},
            "body": body,
            "html_url": f"c/{self.next_id}",
        }
        self.comments.append(comment)
        return comment


class _Handler(BaseHTTPRequestHandler):
    server: FakeGithub

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output clean
        return

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, {"message": "Bad credentials"})
            return False
        return True

    def do_GET(self) -> None:
        url = urlparse(self.path)
        self.server.requests.append(("GET", url.path))
        if not self._authorised():
            return
        if url.path == "/user":
            if self.server.user_login is None:
                self._send(403, {"message": "Resource not accessible by integration"})
            else:
                self._send(200, {"login": self.server.user_login})
            return
        if url.path == "/repos/owner/repo/issues/7/comments":
            query = parse_qs(url.query)
            size, page = int(query["per_page"][0]), int(query["page"][0])
            self._send(200, self.server.comments[(page - 1) * size : page * size])
            return
        self._send(404, {"message": "Not Found"})

    def _body(self) -> Any:
        return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

    def do_POST(self) -> None:
        self.server.requests.append(("POST", self.path))
        if not self._authorised():
            return
        if self.path == "/repos/owner/repo/issues/7/comments":
            login = self.server.user_login or "github-actions[bot]"
            self._send(201, self.server.add(login, self._body()["body"]))
            return
        self._send(404, {"message": "Not Found"})

    def do_PATCH(self) -> None:
        self.server.requests.append(("PATCH", self.path))
        if not self._authorised():
            return
        for comment in self.server.comments:
            if self.path == f"/repos/owner/repo/issues/comments/{comment['id']}":
                comment["body"] = self._body()["body"]
                self._send(200, comment)
                return
        self._send(404, {"message": "Not Found"})


@pytest.fixture(params=[None, "aigov-bot"], ids=["github-token", "user-token"])
def github(request: pytest.FixtureRequest) -> Iterator[FakeGithub]:
    server = FakeGithub(request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def comment(server: FakeGithub, body: Path, *extra: str, token: str = TOKEN) -> Result:
    env = {"GITHUB_TOKEN": token, "GH_TOKEN": "", "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}
    args = ["comment", "github", "--body-file", str(body), "--repo", "owner/repo", "--pr", "7"]
    return CliRunner(env=env).invoke(main, [*args, "--api-url", server.url, *extra], catch_exceptions=False)


def me(server: FakeGithub) -> str:
    return server.user_login or "github-actions[bot]"


def test_creates_then_updates_its_own_comment(github: FakeGithub, tmp_path: Path) -> None:
    body = tmp_path / "aigov.md"
    body.write_text(f"{MARKER}\nThis change adds $10.00 per month\n")
    github.add("alice", "LGTM")
    first = comment(github, body)
    assert first.exit_code == 0, first.output
    assert "aigov comment created" in first.stderr
    assert len(github.comments) == 2
    assert github.comments[1]["user"]["login"] == me(github)

    body.write_text(f"{MARKER}\nThis change adds $20.00 per month\n")
    second = comment(github, body)
    assert second.exit_code == 0, second.output
    assert "aigov comment updated" in second.stderr
    assert len(github.comments) == 2
    assert github.comments[0]["body"] == "LGTM"
    assert github.comments[1]["body"].endswith("$20.00 per month\n")


def test_never_edits_someone_elses_comment_that_quotes_the_marker(github: FakeGithub, tmp_path: Path) -> None:
    quoted = github.add("mallory", f"> {MARKER}\n> This change adds $0.00 per month")
    body = tmp_path / "aigov.md"
    body.write_text(f"{MARKER}\nreal report\n")
    result = comment(github, body)
    assert result.exit_code == 0, result.output
    assert quoted["body"].startswith(f"> {MARKER}")
    assert not any(method == "PATCH" for method, _ in github.requests)
    assert github.comments[-1]["user"]["login"] == me(github)


def test_finds_its_comment_past_the_first_page(github: FakeGithub, tmp_path: Path) -> None:
    for i in range(150):
        github.add("alice", f"comment {i}")
    own = github.add(me(github), f"{MARKER}\nold report")
    body = tmp_path / "aigov.md"
    body.write_text("new report\n")  # the marker is added when the body lacks it
    result = comment(github, body)
    assert result.exit_code == 0, result.output
    assert own["body"] == f"{MARKER}\nnew report\n"
    assert len(github.comments) == 151  # updated, not added


def test_a_refused_token_is_one_line(github: FakeGithub, tmp_path: Path) -> None:
    body = tmp_path / "aigov.md"
    body.write_text("report\n")
    result = comment(github, body, token="wrong")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: github: GET ")
    assert "HTTP 401: Bad credentials" in result.stderr


def test_the_pull_request_comes_from_the_event(github: FakeGithub, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}))
    body = tmp_path / "aigov.md"
    body.write_text("report\n")
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "owner/repo",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": github.url,
        "NO_PROXY": "127.0.0.1",
        "no_proxy": "127.0.0.1",
    }
    result = CliRunner(env=env).invoke(main, ["comment", "github", "--body-file", str(body)])
    assert result.exit_code == 0, result.output
    assert github.comments[-1]["body"] == f"{MARKER}\nreport\n"
    event.write_text(json.dumps({"push": {}}))
    refused = CliRunner(env=env).invoke(main, ["comment", "github", "--body-file", str(body)])
    assert refused.exit_code == 2
    assert "not a pull-request event; give --pr NUMBER" in refused.stderr


def test_the_posted_comment_leads_with_the_cost_change_and_the_budget(
    github: FakeGithub, tmp_path: Path
) -> None:
    # The pipeline a team runs: scan the pull request's plan against the base branch's into a
    # Markdown file, then post it. The PTU deployment it adds takes invoice-reader over budget;
    # once the budget is raised, the same comment is updated and the budget is no longer over.
    pipeline = Path(__file__).resolve().parents[2] / "fixtures" / "pipeline"
    plan = json.loads((pipeline / "plan.json").read_text(encoding="utf-8"))
    ptu = 'azurerm_cognitive_deployment.reports["ptu"]'
    base = tmp_path / "base-plan.json"
    base.write_text(
        json.dumps(
            {**plan, "resource_changes": [c for c in plan["resource_changes"] if c["address"] != ptu]}
        ),
        encoding="utf-8",
    )
    config = (pipeline / "budgets.aigov.yaml").read_text(encoding="utf-8")
    body = tmp_path / "comment.md"

    def scan_and_post(config_text: str) -> Result:
        (tmp_path / "aigov.yaml").write_text(config_text, encoding="utf-8")
        args = [str(pipeline / "plan.json"), "--config", str(tmp_path / "aigov.yaml")]
        args += ["--compare-to", str(base), "--format", "markdown", "--output", str(body)]
        CliRunner().invoke(main, ["scan", *args], catch_exceptions=False)
        return comment(github, body)

    assert scan_and_post(config).exit_code == 0
    (posted,) = github.comments
    lines = posted["body"].splitlines()
    assert lines[0] == MARKER
    assert lines[1].startswith("**This change adds \\$43,800.00 per month of Azure AI cost")
    assert "| AIGOV-BUDGET-001 | budget:invoice-reader |" in posted["body"]
    assert "invoice-reader: \\$" in posted["body"]
    assert ", over by \\$" in posted["body"]

    raised = config.replace("monthly_usd: 60000", "monthly_usd: 200000")
    assert raised != config, "the fixture's invoice-reader budget must be 60,000 $/month"
    assert scan_and_post(raised).exit_code == 0
    (updated,) = github.comments  # the same comment, edited
    assert updated["id"] == posted["id"]
    # Under the raised limit by what is known; the pay-per-token chat deployment has no usage, so
    # the budget is undetermined (never a silent pass), and nothing says it is over.
    assert "Budget invoice-reader is undetermined: forecast at least \\$83,507.62" in updated["body"]
    assert ", over by \\$" not in updated["body"]
    assert "Budgets: over their limits" not in updated["body"]
