"""Tables laid out as rich lays out the human report's tables, without rich's per-cell measuring.

rich measures and renders every cell of a table through its console (each
twice), which costs about a millisecond per row: minutes for a report of
20,000 findings. The human report's tables are simple (no colour when they
are written to a file or a CI log, left or right justified columns, the last
column folded to the rest of the line), so this module computes the same
column widths and wraps with rich's own line-breaking function, in plain
string operations. :func:`layout` returns None for any table whose layout it
would not reproduce exactly (rich then renders it); the test suite checks
that both agree on every table it draws.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rich import box
from rich._wrap import divide_line  # rich's own line breaking, so wrapped lines match exactly
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

_CONTROL: Final = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f]"
)  # tabs and control codes: rich expands or strips them
_TRAILING_SPACE: Final = re.compile(r"\s+$")
_WORD: Final = re.compile(r"\s*\S+\s*")  # rich's word: the word and the blanks after it


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header, whether it is right-justified, whether its cells may wrap (fold)."""

    header: str = ""
    right: bool = False
    wrap: bool = True


def layout(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int,
    *,
    header: bool,
    divider: str,
    rule: str = "─",
) -> list[str] | None:
    """The table's lines (trailing blanks removed), or None when rich would lay it out differently.

    Cells are separated by one space of padding plus ``divider`` (rich's
    collapsed padding, no padding at the edges); a ``header`` row is
    followed by a line of ``rule`` across the table, as rich's
    ``box.SIMPLE_HEAD`` without edges draws it.
    """
    count = len(columns)
    table = [[c.header for c in columns], *rows] if header else list(rows)
    if any(_CONTROL.search(cell) for row in table for cell in row):
        return None
    pads = [1] * (count - 1) + [0]
    widths = [max(_longest(row[i]) for row in table) + pads[i] for i in range(count)]
    widths = [w or 1 for w in widths]
    available = width - len(divider) * (count - 1)
    excess = sum(widths) - available
    if excess > 0:
        # rich narrows the widest wrappable column first; reproduced only when
        # that is the last column alone and narrowing it is enough.
        others = [w for w, c in zip(widths[:-1], columns[:-1], strict=True) if c.wrap]
        if not columns[-1].wrap or widths[-1] - max(others, default=0) < excess or widths[-1] - excess < 1:
            return None
        widths[-1] -= excess
    lines: list[str] = []
    for number, row in enumerate(table):
        cells = [_cell(text, widths[i] - pads[i], columns[i]) for i, text in enumerate(row)]
        height = max(len(c) for c in cells)
        for i in range(height):
            parts = []
            for column_index, cell in enumerate(cells):
                text = cell[i] if i < len(cell) else ""
                inner = widths[column_index] - pads[column_index]
                fill = " " * max(inner - _cells(text), 0)
                justified = fill + text if columns[column_index].right else text + fill
                parts.append(justified + " " * pads[column_index])
            lines.append(divider.join(parts).rstrip())
        if header and number == 0:
            lines.append(rule * (sum(widths) + len(divider) * (count - 1)))
    return lines


def _ascii_breaks(text: str, width: int) -> list[int]:
    """Where rich's ``divide_line(text, width, fold=True)`` breaks an ASCII line, with ``len`` for cells.

    The same steps as rich's, without measuring each character: in ASCII
    every character is one cell, so a word too long for a line is cut every
    ``width`` characters.
    """
    breaks: list[int] = []
    offset = 0
    match = _WORD.match(text, 0)
    while match is not None:
        start, end = match.span()
        word = match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            pieces = [word[i : i + width] for i in range(0, len(word), width)]
            for number, piece in enumerate(pieces, start=1):
                if start:
                    breaks.append(start)
                if number == len(pieces):
                    offset = len(piece)
                else:
                    start += len(piece)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
        match = _WORD.match(text, end)
    return breaks


def _cells(text: str) -> int:
    """Terminal cells of ``text``: its length when ASCII (control codes are excluded earlier)."""
    return len(text) if text.isascii() else cell_len(text)


def _longest(text: str) -> int:
    return max(_cells(line) for line in text.split("\n"))


def _cell(text: str, width: int, column: Column) -> list[str]:
    """A cell's lines at ``width``: each line of the text folded as rich folds it."""
    out: list[str] = []
    for line in text.split("\n"):
        if not column.wrap or _cells(line) <= width:
            out.append(line)
            continue
        breaks = _ascii_breaks(line, width) if line.isascii() else divide_line(line, width, fold=True)
        offsets = [0, *breaks, len(line)]
        for start, end in itertools.pairwise(offsets):
            piece = line[start:end]
            excess = _cells(piece) - width
            if excess > 0:  # rich drops the trailing blanks a line would overflow with
                trailing = _TRAILING_SPACE.search(piece)
                if trailing is not None:
                    piece = piece[: len(piece) - min(len(trailing.group(0)), excess)]
            out.append(piece)
    return out


def table_lines(table: Table, width: int) -> list[str] | None:
    """The lines of a rich ``Table`` of plain text cells, laid out here; None when rich must render it.

    Only the shapes the human report draws are reproduced: a ``SIMPLE_HEAD``
    table or a grid, padding ``(0, 1)`` collapsed, no edges, no title, text
    cells without styles of their own that change the layout.
    """
    divider = {None: "", box.SIMPLE_HEAD: " "}.get(table.box)
    if divider is None or (table.box is None and table.show_header and any(c.header for c in table.columns)):
        return None
    if (
        table.expand
        or table.show_edge
        or table.pad_edge
        or not table.collapse_padding
        or table.padding != (0, 1, 0, 1)
        or table.title
        or table.caption
        or table.show_footer
        or table.show_lines
        or table.width is not None
        or table.min_width is not None
    ):
        return None
    columns = []
    for column in table.columns:
        if column.width is not None or column.min_width is not None or column.max_width is not None:
            return None
        if not column.no_wrap and column.overflow != "fold":
            return None
        if column.justify not in ("left", "right"):
            return None
        header = _plain(column.header)
        if header is None:
            return None
        columns.append(Column(header, right=column.justify == "right", wrap=not column.no_wrap))
    cells = [[_plain(cell) for cell in column.cells] for column in table.columns]
    if any(cell is None for column_cells in cells for cell in column_cells):
        return None
    rows = [[str(cells[c][r]) for c in range(len(columns))] for r in range(table.row_count)]
    return layout(columns, rows, width, header=table.show_header and table.box is not None, divider=divider)


def _plain(cell: object) -> str | None:
    """The text of a cell rich lays out as plain text, else None."""
    if isinstance(cell, str):
        return cell
    if isinstance(cell, Text) and cell.justify is None and cell.overflow is None and not cell.no_wrap:
        return cell.plain if not cell.end or cell.end == "\n" else None
    return None
