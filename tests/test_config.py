"""aigov.yaml: finding it, the default, every section, and errors by file, line and JSON path."""

from __future__ import annotations

import os
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from aigov.config import Config, find_config, load_config
from aigov.errors import ConfigError
from aigov.model import PocApproval, Severity

CONFIG = """\
version: 1
subscriptions:
  00000000-0000-0000-0000-00000000000A: {name: corp-ai-dev, environment: dev, tags: {owner: platform}}
approvals:
  poc:
    - {workload: invoice-reader, approved_on: 2026-09-01, reference: FIN-2231}
    - {workload: churn, approved_on: "2026-01-10", expires_on: "2026-06-30"}
workload_tag: app
pricing:
  default_region: eastus
  catalog: prices/catalog.yaml
rules:
  AIGOV-SKU-001:
    parameters: {allowed: [Standard, GlobalStandard]}
    severity: critical
  AIGOV-TAG-002: {enabled: false}
"""


def write(tmp_path: Path, text: str, name: str = "aigov.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_find_config_prefers_aigov_yaml(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    hidden = write(tmp_path, "{}\n", ".aigov.yaml")
    assert find_config(tmp_path) == hidden
    visible = write(tmp_path, "{}\n")
    assert find_config(tmp_path) == visible


def test_no_file_is_the_default_config() -> None:
    config = load_config(None)
    assert config == Config()
    assert config.workload_tag == "workload"
    assert config.rule_overrides == {}


def test_empty_file_is_the_default_config(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).rule_overrides == {}


def test_every_section(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG)
    config = load_config(path)
    sub = config.subscriptions["00000000-0000-0000-0000-00000000000a"]
    assert (sub.name, sub.environment, dict(sub.tags)) == ("corp-ai-dev", "dev", {"owner": "platform"})
    assert config.poc_approvals == (
        PocApproval("invoice-reader", date(2026, 9, 1), "FIN-2231"),
        PocApproval("churn", date(2026, 1, 10), None, date(2026, 6, 30)),
    )
    assert config.workload_tag == "app"
    assert config.default_region == "eastus"
    assert config.catalog_path == tmp_path / "prices" / "catalog.yaml"
    sku = config.rule_overrides["AIGOV-SKU-001"]
    assert sku.parameters == {"allowed": ["Standard", "GlobalStandard"]}
    assert sku.severity is Severity.CRITICAL
    assert sku.enabled is True
    assert (sku.file, sku.line, dict(sku.parameter_lines)) == (str(path), 14, {"allowed": 14})
    assert config.rule_overrides["AIGOV-TAG-002"].enabled is False


def test_context_for_a_run(tmp_path: Path) -> None:
    now = datetime(2026, 10, 1, tzinfo=UTC)
    context = load_config(write(tmp_path, CONFIG)).context(now, {"k": {"requests": 1}})
    assert context.now == now
    assert context.workload_tag == "app"
    assert len(context.poc_approvals) == 2
    assert context.usage == {"k": {"requests": 1}}


@pytest.mark.parametrize(
    ("old", "new", "where", "fragment"),
    [
        ("version: 1", "version: 2", "line 1: $.version", "1 was expected"),
        ("workload_tag: app", "workload_tags: app", "line 1: $", "'workload_tags' was unexpected"),
        (
            "approved_on: 2026-09-01",
            "approved_on: 01/09/2026",
            "line 6: $.approvals.poc[0].approved_on",
            "match",
        ),
        (
            "approved_on: 2026-09-01",
            "approved_on: 2026-02-30",
            "line 6: $.approvals.poc[0].approved_on",
            "valid date",
        ),
        (
            'expires_on: "2026-06-30"',
            'expires_on: "2025-06-30"',
            "line 7: $.approvals.poc[1].expires_on",
            "before",
        ),
        (
            "severity: critical",
            "severity: severe",
            "line 15: $.rules.AIGOV-SKU-001.severity",
            "is not one of",
        ),
        ("{enabled: false}", "{enabled: nope}", "line 16: $.rules.AIGOV-TAG-002.enabled", "boolean"),
        ("{name: corp-ai-dev,", "{nme: corp-ai-dev,", "line 3: $.subscriptions", "'nme' was unexpected"),
    ],
)
def test_errors_name_file_line_and_path(
    tmp_path: Path, old: str, new: str, where: str, fragment: str
) -> None:
    assert old in CONFIG
    path = write(tmp_path, CONFIG.replace(old, new))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.file == str(path)
    assert err.value.where is not None
    assert err.value.where.startswith(where)
    assert fragment in err.value.message
    assert "\n" not in str(err.value)


def test_unsafe_yaml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(write(tmp_path, "rules: !!python/object/new:os.system [ls]\n"))


def test_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")


@pytest.mark.parametrize("kind", ["dangling", "fifo"])
def test_an_unreadable_aigov_yaml_is_an_error_not_the_defaults(tmp_path: Path, kind: str) -> None:
    if kind == "dangling":
        (tmp_path / "aigov.yaml").symlink_to("gone.yaml")
    else:
        os.mkfifo(tmp_path / "aigov.yaml")
    with pytest.raises(ConfigError, match=r"aigov\.yaml: (symbolic link to a missing file|is a FIFO)"):
        find_config(tmp_path)
