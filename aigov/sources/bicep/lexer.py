"""Bicep tokens, in one linear pass over the text.

Comments (``//`` to the end of the line, ``/* ... */``) and linter
directives (``#disable-next-line rule1 rule2``, ``#disable-diagnostics``,
``#restore-diagnostics``) are dropped wherever they occur; a newline is a
token, because Bicep separates declarations, object properties and array
items with newlines. A string token holds its
segments: literal text and, for each ``${...}``, the tokens of the
interpolated expression (lexed by the same code, so strings nested inside an
interpolation work). ``'''`` strings are verbatim; ``$'''`` strings are
verbatim but for their ``${...}`` interpolations. There are no regular
expressions: each character is looked at a bounded number of times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from aigov.errors import SourceError

MAX_BYTES: Final = 4 * 1024 * 1024
"""Largest Bicep file read (the largest real files are well under 1 MiB)."""

MAX_INTERPOLATION_DEPTH: Final = 32


@dataclass(frozen=True, slots=True)
class Token:
    """A token; ``kind`` is ``ident``, ``string``, ``int``, ``nl``, ``eof`` or the operator itself."""

    kind: str
    value: Any
    line: int
    col: int


# Longest first: the lexer takes the first that matches.
_OPERATORS: Final = (
    "...",
    "??",
    ".?",
    "::",
    "=>",
    "==",
    "!=",
    "=~",
    "!~",
    "<=",
    ">=",
    "&&",
    "||",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    ".",
    "=",
    "?",
    "!",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "@",
    "|",
    "^",
)
_BY_FIRST: Final[dict[str, tuple[str, ...]]] = {}
for _op in _OPERATORS:
    _BY_FIRST.setdefault(_op[0], ())
    _BY_FIRST[_op[0]] = (*_BY_FIRST[_op[0]], _op)

DIRECTIVES: Final = ("disable-next-line", "disable-diagnostics", "restore-diagnostics")
"""Linter directives: trivia to aigov, as they are to the compiler's code generation."""

_ESCAPES: Final = {"\\": "\\", "'": "'", "n": "\n", "r": "\r", "t": "\t", "$": "$"}


def _ident_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _ident_part(ch: str) -> bool:
    return _ident_start(ch) or ("0" <= ch <= "9")


class Lexer:
    """Turns one file's text into tokens; raises :class:`SourceError` with line and column."""

    def __init__(self, text: str, file: str) -> None:
        if len(text) > MAX_BYTES:
            raise SourceError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB; not read", file=file)
        self.text = text
        self.file = file
        self.pos = 0
        self.line = 1
        self.line_start = 0

    def error(self, message: str, line: int | None = None, col: int | None = None) -> SourceError:
        line = self.line if line is None else line
        col = self.pos - self.line_start + 1 if col is None else col
        return SourceError(message, file=self.file, where=f"line {line}, column {col}")

    def tokens(self) -> list[Token]:
        out = self._run(depth=0, in_interpolation=False)
        out.append(Token("eof", None, self.line, self.pos - self.line_start + 1))
        return out

    def _run(self, depth: int, in_interpolation: bool) -> list[Token]:
        """Tokens up to the end of the text, or (in an interpolation) up to its closing ``}``."""
        text = self.text
        n = len(text)
        out: list[Token] = []
        braces = 0
        while self.pos < n:
            ch = text[self.pos]
            col = self.pos - self.line_start + 1
            if ch == "\n":
                out.append(Token("nl", None, self.line, col))
                self._newline()
                continue
            if ch in " \t\r\f\v\ufeff":
                self.pos += 1
                continue
            if ch == "/" and text.startswith("//", self.pos):
                end = text.find("\n", self.pos)
                self.pos = n if end < 0 else end
                continue
            if ch == "/" and text.startswith("/*", self.pos):
                self._block_comment()
                continue
            if ch == "#" and self._directive():
                continue
            if ch == "'":
                out.append(self._string(depth))
                continue
            if ch == "$":
                dollars = 1
                while text.startswith("$", self.pos + dollars):
                    dollars += 1
                if text.startswith("'''", self.pos + dollars):
                    out.append(self._interpolated_multiline(dollars, depth))
                    continue
            if _ident_start(ch):
                start = self.pos
                while self.pos < n and _ident_part(text[self.pos]):
                    self.pos += 1
                out.append(Token("ident", text[start : self.pos], self.line, col))
                continue
            if "0" <= ch <= "9":
                start = self.pos
                while self.pos < n and "0" <= text[self.pos] <= "9":
                    self.pos += 1
                if self.pos < n and text[self.pos] == ".":
                    # Bicep has no fractional literals; say so instead of a vague error later.
                    raise self.error("fractional numbers are not Bicep literals (use json('1.5'))")
                out.append(Token("int", int(text[start : self.pos]), self.line, col))
                continue
            if in_interpolation:
                if ch == "{":
                    braces += 1
                elif ch == "}":
                    if braces == 0:
                        self.pos += 1
                        return out
                    braces -= 1
            for op in _BY_FIRST.get(ch, ()):
                if text.startswith(op, self.pos):
                    out.append(Token(op, op, self.line, col))
                    self.pos += len(op)
                    break
            else:
                raise self.error(f"unexpected character {ch!r}")
        if in_interpolation:
            raise self.error("unterminated string interpolation: expected '}'")
        return out

    def _newline(self) -> None:
        self.pos += 1
        self.line += 1
        self.line_start = self.pos

    def _directive(self) -> bool:
        """Skip a linter directive and its rule names, up to the end of the line or a comment."""
        text = self.text
        pos = self.pos + 1
        end = pos
        while end < len(text) and (_ident_part(text[end]) or text[end] == "-"):
            end += 1
        if text[pos:end] not in DIRECTIVES:
            return False
        # Rule names are words and dashes; a comment may follow them on the line.
        while end < len(text) and text[end] != "\n" and not text.startswith(("//", "/*"), end):
            end += 1
        self.pos = end
        return True

    def _block_comment(self) -> None:
        line, col = self.line, self.pos - self.line_start + 1
        end = self.text.find("*/", self.pos + 2)
        if end < 0:
            raise self.error("unterminated comment: expected '*/'", line, col)
        self._advance_to(end + 2)

    def _advance_to(self, target: int) -> None:
        """Move to ``target``, counting the newlines on the way."""
        text = self.text
        while True:
            nl = text.find("\n", self.pos, target)
            if nl < 0:
                break
            self.pos = nl
            self._newline()
        self.pos = target

    def _string(self, depth: int) -> Token:
        line, col = self.line, self.pos - self.line_start + 1
        text = self.text
        if text.startswith("'''", self.pos):
            end = text.find("'''", self.pos + 3)
            if end < 0:
                raise self.error("unterminated multi-line string: expected \"'''\"", line, col)
            # Bicep keeps further quotes that run into the closing delimiter.
            while text.startswith("'", end + 3):
                end += 1
            body = text[self.pos + 3 : end]
            self._advance_to(end + 3)
            # A newline right after the opening quotes is not part of the value.
            if body.startswith("\r\n"):
                body = body[2:]
            elif body.startswith("\n"):
                body = body[1:]
            return Token("string", (body,), line, col)
        if depth >= MAX_INTERPOLATION_DEPTH:
            raise self.error(f"strings nested more than {MAX_INTERPOLATION_DEPTH} deep", line, col)
        self.pos += 1
        parts: list[str | tuple[Token, ...]] = []
        chunk: list[str] = []
        n = len(text)
        while True:
            if self.pos >= n:
                raise self.error('unterminated string: expected "\'"', line, col)
            ch = text[self.pos]
            if ch == "'":
                self.pos += 1
                break
            if ch == "\n":
                raise self.error("unterminated string: a '...' string ends on its line", line, col)
            if ch == "\\":
                chunk.append(self._escape())
                continue
            if ch == "$" and text.startswith("${", self.pos):
                self.pos += 2
                if chunk:
                    parts.append("".join(chunk))
                    chunk = []
                parts.append(self._interpolation(depth))
                continue
            chunk.append(ch)
            self.pos += 1
        if chunk or not parts:
            parts.append("".join(chunk))
        return Token("string", tuple(parts), line, col)

    def _interpolation(self, depth: int) -> tuple[Token, ...]:
        """The tokens of one ``${...}``, its opening already consumed, up to and past its ``}``."""
        inner_line, inner_col = self.line, self.pos - self.line_start + 1
        inner = self._run(depth + 1, in_interpolation=True)
        if not inner:
            raise self.error("empty interpolation '${}'", inner_line, inner_col)
        inner.append(Token("eof", None, self.line, self.pos - self.line_start))
        return tuple(inner)

    def _interpolated_multiline(self, dollars: int, depth: int) -> Token:
        """``$'''...${x}...'''``: verbatim text, ``${`` (with as many ``$`` as opened it) interpolates.

        ``$$'''...'''`` lets ``${`` stand for itself: only ``$${`` interpolates there.
        """
        line, col = self.line, self.pos - self.line_start + 1
        if depth >= MAX_INTERPOLATION_DEPTH:
            raise self.error(f"strings nested more than {MAX_INTERPOLATION_DEPTH} deep", line, col)
        text = self.text
        opener = "$" * dollars + "{"
        self.pos += dollars + 3
        # A newline right after the opening quotes is not part of the value.
        if text.startswith("\r\n", self.pos):
            self.pos += 1
        if text.startswith("\n", self.pos):
            self._newline()
        parts: list[str | tuple[Token, ...]] = []
        chunk: list[str] = []
        while True:
            if self.pos >= len(text):
                raise self.error("unterminated multi-line string: expected \"'''\"", line, col)
            if text.startswith("'''", self.pos):
                end = self.pos
                while text.startswith("'", end + 3):  # further quotes are part of the value
                    end += 1
                if end > self.pos:
                    chunk.append(text[self.pos : end])
                self.pos = end + 3
                break
            if text.startswith(opener, self.pos):
                self.pos += len(opener)
                if chunk:
                    parts.append("".join(chunk))
                    chunk = []
                parts.append(self._interpolation(depth))
                continue
            chunk.append(text[self.pos])
            if text[self.pos] == "\n":
                self._newline()
            else:
                self.pos += 1
        if chunk or not parts:
            parts.append("".join(chunk))
        return Token("string", tuple(parts), line, col)

    def _escape(self) -> str:
        text = self.text
        nxt = text[self.pos + 1] if self.pos + 1 < len(text) else ""
        if nxt in _ESCAPES and nxt:
            self.pos += 2
            return _ESCAPES[nxt]
        if nxt == "u" and text.startswith("u{", self.pos + 1):
            end = text.find("}", self.pos + 3, self.pos + 12)
            digits = text[self.pos + 3 : end] if end > 0 else ""
            if digits and all(c in "0123456789abcdefABCDEF" for c in digits) and int(digits, 16) <= 0x10FFFF:
                self.pos = end + 1
                return chr(int(digits, 16))
        raise self.error("invalid escape sequence in string (expected \\\\ \\' \\n \\r \\t \\$ or \\u{hex})")


def tokenize(text: str, file: str) -> list[Token]:
    """All tokens of ``text``, ending with an ``eof`` token."""
    return Lexer(text, file).tokens()
