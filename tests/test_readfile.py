"""Reading only regular files of bounded size: FIFOs, devices and directories are one-line errors."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from aigov.errors import AigovError, ConfigError
from aigov.readfile import check_regular_file, read_bounded, read_head, read_regular_file, read_regular_text


def test_reads_a_regular_file_and_a_symlink_to_one(tmp_path: Path) -> None:
    target = tmp_path / "rules.yaml"
    target.write_bytes(b"id: X\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(target)
    assert read_regular_file(target, 100) == b"id: X\n"
    assert read_regular_file(link, 100) == b"id: X\n"


def test_a_fifo_is_refused_at_once_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "plan.json"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(AigovError) as caught:
        read_regular_file(fifo, 1000)
    assert time.monotonic() - started < 2
    assert str(caught.value) == f"{fifo}: is a FIFO (named pipe), not a regular file"


def test_dev_zero_is_refused_as_a_character_device() -> None:
    with pytest.raises(ConfigError, match=r"^/dev/zero: is a character device, not a regular file$"):
        read_regular_file("/dev/zero", 1000, ConfigError)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AigovError, match="is a directory, not a regular file"):
        read_regular_file(tmp_path, 1000)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(AigovError, match=r"missing\.yaml: cannot read: No such file or directory$"):
        read_regular_file(tmp_path / "missing.yaml", 1000)


def test_a_file_over_the_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "usage.yaml"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(AigovError, match="larger than 1000 bytes; not read"):
        read_regular_file(big, 1000)
    assert read_regular_file(big, 2000) == b"x" * 2000


def test_a_stream_is_read_only_up_to_one_byte_past_the_limit() -> None:
    class Endless(io.RawIOBase):
        """Like /dev/zero: never ends."""

        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
            buffer[:] = b"\0" * len(buffer)
            self.served += len(buffer)
            return len(buffer)

    endless = Endless()
    with pytest.raises(AigovError, match=r"^<stdin>: input is larger than 1 MiB; not read$"):
        read_bounded(io.BufferedReader(endless), 1024 * 1024, "<stdin>")
    assert endless.served <= 1024 * 1024 + 8192 * 2
    assert read_bounded(io.BytesIO(b"abc"), 3, "<stdin>") == b"abc"


def test_text_is_utf8_with_the_byte_order_mark_dropped(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_bytes(b"\xef\xbb\xbf{}")
    assert read_regular_text(good, 100) == "{}"
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: \xff\n")
    with pytest.raises(AigovError, match=r"bad\.yaml: not UTF-8 text \(byte 4\)$"):
        read_regular_text(bad, 100)


def test_check_regular_file_returns_the_stat(tmp_path: Path) -> None:
    file = tmp_path / "history.db"
    file.write_bytes(b"12345")
    assert check_regular_file(file).st_size == 5
    with pytest.raises(AigovError, match="is a directory"):
        check_regular_file(tmp_path)


def test_read_head_reads_the_start_of_a_regular_file_only(tmp_path: Path) -> None:
    file = tmp_path / "plan.json"
    file.write_bytes(b"0123456789")
    assert read_head(file, 4) == b"0123"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(AigovError, match="is a FIFO"):
        read_head(fifo, 4)
