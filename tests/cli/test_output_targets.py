"""``-o``/``--output`` takes its format from the extension, refuses a mismatch, and creates its directory."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from aigov.cli.main import main
from aigov.cli.targets import report_targets
from aigov.errors import AigovError
from aigov.report import FORMAT_BY_EXTENSION

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "terraform_plan" / "example.json"
EXAMPLE_CONFIG = ROOT / "fixtures" / "terraform_plan" / "example.aigov.yaml"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scan(tmp_path: Path, *args: str) -> Result:
    shutil.copy(EXAMPLE, tmp_path / "plan.json")
    return run("scan", str(tmp_path / "plan.json"), "--config", str(EXAMPLE_CONFIG), *args)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("r.json", "json"),
        ("r.sarif", "sarif"),
        ("r.xml", "junit"),
        ("r.md", "markdown"),
        ("R.JSON", "json"),
    ],
)
def test_extension_names_the_format(name: str, fmt: str) -> None:
    assert report_targets((), (name,), FORMAT_BY_EXTENSION) == [(fmt, name)]


def test_outputs_beyond_the_formats_are_inferred_and_extra_formats_go_to_stdout() -> None:
    pairs = report_targets(("sarif", "table"), ("a.sarif",), FORMAT_BY_EXTENSION)
    assert pairs == [("sarif", "a.sarif"), ("table", "-")]
    pairs = report_targets(("sarif",), ("a.sarif", "b.md"), FORMAT_BY_EXTENSION)
    assert pairs == [("sarif", "a.sarif"), ("markdown", "b.md")]
    assert report_targets((), (), FORMAT_BY_EXTENSION) == [("table", "-")]
    assert report_targets((), ("-",), FORMAT_BY_EXTENSION) == [("table", "-")]


@pytest.mark.parametrize(
    ("formats", "outputs", "message"),
    [
        (
            ("table",),
            ("report.json",),
            "--format table does not match the file's extension, which names json",
        ),
        ((), ("report.pdf",), "there is no PDF report"),
        ((), ("report.xlsx",), "cannot tell the report format from the extension '.xlsx'"),
        ((), ("report",), "a file name without an extension"),
        ((), ("report.txt",), "cannot tell the report format from the extension '.txt'"),
        (("json", "sarif"), (), "only one report can go to stdout"),
    ],
)
def test_refusals(formats: tuple[str, ...], outputs: tuple[str, ...], message: str) -> None:
    with pytest.raises(AigovError, match=message):
        report_targets(formats, outputs, FORMAT_BY_EXTENSION)


def test_cli_writes_each_report_in_the_format_its_name_says(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "nested"
    result = scan(
        tmp_path, "-o", str(out / "r.json"), "-o", str(out / "r.sarif"), "--output", str(out / "r.xml")
    )
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert json.loads((out / "r.json").read_text())["findings"]
    assert json.loads((out / "r.sarif").read_text())["version"] == "2.1.0"
    assert ET.fromstring((out / "r.xml").read_text()).tag == "testsuites"


def test_cli_never_writes_a_table_into_report_json(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = scan(tmp_path, "--format", "table", "--output", str(target))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {target}: --format table does not match")
    assert result.stderr.count("\n") == 1
    assert not target.exists()


def test_cli_refuses_pdf_in_one_line(tmp_path: Path) -> None:
    result = scan(tmp_path, "-o", str(tmp_path / "report.pdf"))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "no PDF report" in result.stderr


def test_cli_infers_csv_and_html_from_the_extension(tmp_path: Path) -> None:
    result = scan(tmp_path, "-o", str(tmp_path / "r.csv"), "-o", str(tmp_path / "r.html"))
    assert result.exit_code == 1, result.output
    assert (tmp_path / "r.csv").read_text().startswith("x_RowType,ResourceId,")
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_a_directory_that_cannot_be_created_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where a directory would go")
    result = scan(tmp_path, "-o", str(tmp_path / "blocker" / "r.json"))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / 'blocker' / 'r.json'}: ")
    assert result.stderr.count("\n") == 1
