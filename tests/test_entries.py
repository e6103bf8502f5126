"""Directory entries named as input files: regular files are read, directories skipped, the rest refused."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from aigov.entries import entry_kind
from aigov.errors import SourceError


def test_a_regular_file_and_a_link_to_one_are_files(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("")
    (tmp_path / "link.tf").symlink_to("main.tf")
    assert entry_kind(tmp_path / "main.tf", "main.tf") == "file"
    assert entry_kind(tmp_path / "link.tf", "link.tf") == "file"


def test_a_directory_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "x.tf").mkdir()
    assert entry_kind(tmp_path / "x.tf", "x.tf") == "directory"


def test_a_dangling_link_names_its_target(tmp_path: Path) -> None:
    (tmp_path / "main.tf").symlink_to("gone.tf")
    with pytest.raises(SourceError) as caught:
        entry_kind(tmp_path / "main.tf", "infra/main.tf")
    assert str(caught.value) == "infra/main.tf: symbolic link to a missing file (gone.tf); not read"


def test_a_link_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.tf").symlink_to("b.tf")
    (tmp_path / "b.tf").symlink_to("a.tf")
    with pytest.raises(SourceError, match=r"^a\.tf: symbolic link loop; not read$"):
        entry_kind(tmp_path / "a.tf", "a.tf")


def test_a_fifo_is_refused_without_opening_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "main.tf")
    with pytest.raises(SourceError, match=r"^main\.tf: is a FIFO \(named pipe\), not a regular file$"):
        entry_kind(tmp_path / "main.tf", "main.tf")


def test_a_socket_and_a_device_are_refused(tmp_path: Path) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "s.tf"))
        with pytest.raises(SourceError, match=r"is a socket, not a regular file"):
            entry_kind(tmp_path / "s.tf", "s.tf")
    with pytest.raises(SourceError, match=r"is a character device, not a regular file"):
        entry_kind(Path("/dev/null"), "null.tf")
