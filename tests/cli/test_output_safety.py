"""``--output`` never destroys a file: not one the scan reads, not a link, a device or a FIFO (issue 15)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import TextIO

import pytest
from click.testing import CliRunner, Result

from aigov.cli.common import write_output
from aigov.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "fixtures" / "terraform_plan"
EXAMPLE = PLANS / "example.json"
EXAMPLE_CONFIG = PLANS / "example.aigov.yaml"
TERRAFORM = ROOT / "fixtures" / "terraform_hcl" / "modules"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def refused(result: Result, target: Path) -> str:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"error: {target}: "), result.stderr
    return result.stderr


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the example plan with its configuration, a rules directory, a baseline and usage."""
    shutil.copy(EXAMPLE, tmp_path / "plan.json")
    shutil.copy(EXAMPLE_CONFIG, tmp_path / "aigov.yaml")
    (tmp_path / "rules").mkdir()
    rule = (ROOT / "policies" / "tags" / "AIGOV-TAG-001.yaml").read_text()
    (tmp_path / "rules" / "custom.yaml").write_text(rule.replace("AIGOV-TAG-001", "CUSTOM-TAG-001"))
    result = run(
        "scan", str(tmp_path / "plan.json"), "--config", str(tmp_path / "aigov.yaml"), "--format", "json"
    )
    (tmp_path / "base.json").write_text(result.stdout)
    shutil.copy(ROOT / "fixtures" / "cost" / "usage.yaml", tmp_path / "usage.yaml")
    return tmp_path


def scan_to(workspace: Path, target: Path, *extra: str) -> Result:
    return run(
        "scan",
        str(workspace / "plan.json"),
        "--config",
        str(workspace / "aigov.yaml"),
        "--format",
        "json",
        "--output",
        str(target),
        *extra,
    )


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("aigov.yaml", ()),
        ("rules/custom.yaml", ("--policies", "rules")),
        ("base.json", ("--baseline", "base.json")),
        ("base.json", ("--compare-to", "base.json")),
        ("usage.yaml", ("--usage", "usage.yaml")),
        ("plan.json", ()),
    ],
)
def test_no_file_the_scan_reads_is_overwritten(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, name: str, extra: tuple[str, ...]
) -> None:
    monkeypatch.chdir(workspace)
    target = workspace / name
    before = target.read_bytes()
    line = refused(scan_to(workspace, target, *extra), target)
    assert "refusing to overwrite a file this scan reads" in line
    assert target.read_bytes() == before


def test_a_link_to_an_input_is_refused_as_the_input(workspace: Path) -> None:
    (workspace / "alias.json").symlink_to(workspace / "plan.json")
    os.link(workspace / "plan.json", workspace / "hard.json")
    refused(scan_to(workspace, workspace / "alias.json"), workspace / "alias.json")
    refused(scan_to(workspace, workspace / "hard.json"), workspace / "hard.json")


def test_terraform_modules_and_var_files_are_not_overwritten(tmp_path: Path) -> None:
    tree = tmp_path / "tf"
    shutil.copytree(TERRAFORM, tree)
    module_files = sorted((tree / "modules").rglob("*.tf")) if (tree / "modules").is_dir() else []
    tf_file = (module_files or sorted(tree.rglob("*.tf")))[0]
    before = tf_file.read_bytes()
    result = run("scan", str(tree), "--format", "json", "--output", str(tf_file))
    refused(result, tf_file)
    assert tf_file.read_bytes() == before
    variables = tmp_path / "prod.vars"
    variables.write_text("")
    result = run(
        "scan", str(tree), "--var-file", str(variables), "--format", "json", "--output", str(variables)
    )
    assert "refusing to overwrite a file this scan reads" in refused(result, variables)


def test_a_bicep_module_and_loaded_content_are_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "mod.bicep").write_text("output x string = 'a'\n")
    (tmp_path / "name.txt").write_text("search-one")
    main_bicep = tmp_path / "main.bicep"
    main_bicep.write_text(
        "module m 'mod.bicep' = {\n  name: 'm'\n}\n"
        "resource s 'Microsoft.Search/searchServices@2023-11-01' = {\n"
        "  name: loadTextContent('name.txt')\n  location: 'eastus'\n  sku: { name: 'standard' }\n}\n"
    )
    text = tmp_path / "name.txt"
    refused(run("scan", str(main_bicep), "--format", "json", "--output", str(text)), text)
    assert text.read_text() == "search-one"
    module = tmp_path / "mod.bicep"
    assert "infrastructure file" in refused(
        run("scan", str(main_bicep), "--format", "json", "--output", str(module)), module
    )


def test_two_reports_naming_one_file_are_refused(workspace: Path) -> None:
    out = workspace / "out.txt"
    (workspace / "same.txt").symlink_to(out)
    result = run(
        "scan",
        str(workspace / "plan.json"),
        "--config",
        str(workspace / "aigov.yaml"),
        "--format",
        "json",
        "--output",
        str(out),
        "--format",
        "sarif",
        "--output",
        str(workspace / "same.txt"),
    )
    assert "two reports name one file" in refused(result, workspace / "same.txt")
    assert not out.exists()


def test_a_symlink_is_written_through_and_kept(workspace: Path) -> None:
    real = workspace / "reports" / "aigov.json"
    real.parent.mkdir()
    real.write_text("old")
    link = workspace / "latest.json"
    link.symlink_to(real)
    assert scan_to(workspace, link).exit_code == 1
    assert link.is_symlink()
    assert '"findings"' in real.read_text()


def test_the_existing_mode_is_kept_and_a_new_file_follows_the_umask(workspace: Path) -> None:
    existing = workspace / "report.json"
    existing.write_text("old")
    existing.chmod(0o640)
    assert scan_to(workspace, existing).exit_code == 1
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    fresh = workspace / "fresh.json"
    previous = os.umask(0o022)
    try:
        assert scan_to(workspace, fresh).exit_code == 1
    finally:
        os.umask(previous)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_a_fifo_is_written_by_opening_it(workspace: Path) -> None:
    fifo = workspace / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def drain() -> None:
        with open(fifo, "rb") as handle:
            received.append(handle.read())

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    assert scan_to(workspace, fifo).exit_code == 1
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert b'"findings"' in received[0]


def test_dev_null_stays_a_device(workspace: Path) -> None:
    before = os.stat("/dev/null")
    assert scan_to(workspace, Path("/dev/null")).exit_code == 1
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_directory_is_refused(workspace: Path) -> None:
    target = workspace / "rules"
    assert "not a regular file" in refused(scan_to(workspace, target), target)


def test_the_temporary_file_is_removed_when_writing_fails(tmp_path: Path) -> None:
    # A file-size limit makes the write itself fail part-way, as a full disk would.
    script = (
        "import resource, signal, sys\n"
        "from aigov.cli.common import write_output\n"
        "from aigov.errors import AigovError\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))\n"
        "try:\n"
        "    write_output(sys.argv[1], 'x' * 100000)\n"
        "except AigovError as exc:\n"
        "    print(exc)\n"
    )
    target = tmp_path / "report.json"
    target.write_text("previous report")
    done = subprocess.run(
        [sys.executable, "-c", script, str(target)], capture_output=True, text=True, check=True
    )
    assert done.stdout.startswith(f"{target}: ")
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_a_streamed_report_that_fails_part_way_leaves_the_previous_one(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("previous report")

    def writer(out: TextIO) -> None:
        out.write("half a report\n")
        raise ValueError("a figure that is not a number")

    with pytest.raises(ValueError, match="not a number"):
        write_output(str(target), writer)
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.txt"]
    write_output(str(target), lambda out: out.write("line 1 − ≥\nline 2\n"))
    assert target.read_bytes() == "line 1 − ≥\nline 2\n".encode()


def test_estimate_refuses_its_inputs_too(workspace: Path) -> None:
    target = workspace / "aigov.yaml"
    before = target.read_bytes()
    result = run(
        "estimate",
        str(workspace / "plan.json"),
        "--config",
        str(target),
        "--format",
        "json",
        "--output",
        str(target),
    )
    refused(result, target)
    assert target.read_bytes() == before
