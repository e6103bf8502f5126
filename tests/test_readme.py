"""The README stays true: its configuration and usage examples load, its commands name real options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from aigov.cli.main import main
from aigov.config import load_config
from aigov.cost.usage import load_usage

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(\w*)\n(.*?)```", README, flags=re.DOTALL)


def _yaml_block(first_key: str) -> str:
    return next(body for lang, body in BLOCKS if lang == "yaml" and body.startswith(first_key))


def test_the_configuration_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "aigov.yaml"
    path.write_text(_yaml_block("subscriptions:"))
    config = load_config(path)
    assert config.subscriptions["9c4e1a7b-2f3d-4b8e-a1c6-5d7e9f0b3a28"].environment == "dev"
    assert [w.rule for w in config.waivers] == ["AIGOV-SKU-005"]
    # The example's rule overrides are checked against the bundled rules by a scan.
    plan = ROOT / "fixtures" / "terraform_plan" / "example.json"
    result = CliRunner().invoke(main, ["scan", str(plan), "--config", str(path), "--format", "json"])
    assert result.exit_code == 1, result.stderr


def test_the_usage_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "usage.yaml"
    path.write_text(_yaml_block("usage:"))
    assert len(load_usage(path).entries) == 2


def _aigov_commands() -> list[list[str]]:
    commands = []
    for lang, body in BLOCKS:
        if lang != "sh":
            continue
        for line in body.splitlines():
            for part in re.split(r"&&|\|", line.split("#", 1)[0]):
                words = shlex.split(part)
                if words and words[0] == "aigov":
                    commands.append(words[1:])
    return commands


@pytest.mark.parametrize("words", _aigov_commands(), ids=lambda w: " ".join(w)[:60])
def test_every_readme_command_uses_real_commands_and_options(words: list[str]) -> None:
    """Each `aigov ...` line parses: its command exists and every option it gives is one the command takes."""
    path = [w for w in words if not w.startswith("-")][:2]
    command: click.Command = main
    for name in path:
        # get_command, not .commands: subcommands are imported when first asked for.
        sub = command.get_command(click.Context(command), name) if isinstance(command, click.Group) else None
        if sub is None:
            break
        command = sub
    assert command is not main, words
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    given = {w.split("=", 1)[0] for w in words if w.startswith("--")}
    assert given <= options, (words, given - options)
