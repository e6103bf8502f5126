"""HCL expressions (Terraform's language) evaluated to plain values.

The parse tree is python-hcl2's Lark tree (its ``hcl2.lark`` grammar), read
directly rather than through python-hcl2's dict output, which renders every
expression back to a ``"${...}"`` string that would have to be parsed again.

Values are Python values: ``str``, ``int``/``float`` (HCL numbers),
``bool``, ``None`` (null), ``list`` (tuples and lists), :class:`HclSet`
(sets), ``dict`` (maps and objects), :data:`~aigov.model.UNKNOWN` for what
cannot be known before apply, :class:`UnknownRef` for an unknown attribute of
a resource in the configuration (``azurerm_cognitive_account.main.id``: its
value is unknown, but which resource it comes from is known, which links a
deployment to its account), and :class:`Lazy` objects whose attributes are
computed when read (resource instances, module outputs).

What is evaluated: literals, string templates with interpolation and
``%{if}``/``%{for}`` directives, heredocs, tuples and objects, operators with
Kleene logic over unknowns, conditionals, ``for`` expressions (list and map
forms, ``if`` filters, ``...`` grouping), splats, index and attribute access,
argument expansion ``f(xs...)``, and the functions in :data:`FUNCTIONS` plus
``try`` and ``can``. Any other function gives UNKNOWN and a note naming it,
never an error. Invalid expressions (a missing attribute, an index out of
range, a type mismatch) raise :class:`EvalError`, as Terraform would refuse
them; ``try``/``can`` catch it.

Time bounds: ``range()``, ``for`` expressions and string results are capped
(:data:`MAX_ITEMS`, :data:`MAX_STRING`); regular expressions (``replace``
with ``/re/``) are not run (UNKNOWN, noted), so no user pattern can backtrack.
"""

from __future__ import annotations

import json
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Final, Protocol

from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedInput

from aigov.model import UNKNOWN

MAX_ITEMS: Final = 100_000
"""The largest collection a ``for`` expression, ``range()`` or ``count`` may produce."""

MAX_STRING: Final = 1_000_000
"""The longest string an expression may build."""

Node = Tree[Token]


class EvalError(Exception):
    """An expression Terraform would reject; ``node`` says where."""

    def __init__(self, message: str, node: Node | Token | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.node = node

    @property
    def where(self) -> str | None:
        position = position_of(self.node) if self.node is not None else None
        return f"line {position[0]}, column {position[1]}" if position else None


class ParseError(Exception):
    """The text is not HCL; ``line``/``column`` say where, when known."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class UnknownRef:
    """An unknown attribute of a resource instance in the configuration (``….main.id``)."""

    address: str  # the instance's address, e.g. azurerm_cognitive_account.main or ...["a"]
    attribute: str


class HclSet(tuple[Any, ...]):
    """A Terraform set: no duplicates, strings and numbers in Terraform's (sorted) order."""

    __slots__ = ()

    @classmethod
    def of(cls, items: Iterable[Any]) -> HclSet:
        unique: list[Any] = []
        seen: set[str] = set()
        for item in items:
            marker = _identity(item)
            if marker not in seen:
                seen.add(marker)
                unique.append(item)
        if all(isinstance(i, str) for i in unique) or all(_is_number(i) for i in unique):
            unique.sort()
        return cls(unique)


class Lazy(ABC):
    """An object whose attributes are computed when read."""

    @abstractmethod
    def attr(self, name: str, node: Node | None) -> Any:
        """The attribute's value; raises EvalError when the object has no such attribute."""

    def materialize(self) -> Any:
        """The whole object as a plain value (UNKNOWN unless a subclass knows better)."""
        return UNKNOWN


class Scope(Protocol):
    """Where an expression's free names come from."""

    def root(self, name: str, node: Node) -> Any:
        """The value of a top-level name (``var``, ``local``, a resource type, ...); EvalError if none."""

    def note(self, message: str, node: Node | None) -> None:
        """Record something that made a value unknown (an unsupported function, ...)."""


# --------------------------------------------------------------------------- parsing


def _cache_path() -> str | bool:
    """Where Lark keeps the analysed grammar (building it takes seconds; loading it, milliseconds)."""
    try:
        versions = f"hcl2-{metadata.version('python-hcl2')}-lark-{metadata.version('lark')}"
        directory = Path.home() / ".cache" / "aigov"
        directory.mkdir(parents=True, exist_ok=True)
        return str(directory / f"{versions}.cache")
    except (OSError, RuntimeError, metadata.PackageNotFoundError):
        return False


@lru_cache(maxsize=1)
def _parser() -> Lark:
    # python-hcl2's grammar and post-lexer, without propagate_positions
    # (which makes parsing about three times slower): positions come from
    # the tokens, which always carry them.
    import hcl2.parser  # noqa: PLC0415
    from hcl2.postlexer import PostLexer  # noqa: PLC0415

    return Lark.open(
        "hcl2.lark",
        parser="lalr",
        rel_to=hcl2.parser.__file__,
        propagate_positions=False,
        postlex=PostLexer(),
        cache=_cache_path(),
    )


def parse(text: str) -> Node:
    """The HCL body of ``text``; raises :class:`ParseError`."""
    try:
        tree = _parser().parse(text + "\n")
    except UnexpectedEOF:
        raise ParseError("unexpected end of file (is a brace or quote not closed?)") from None
    except UnexpectedInput as exc:
        line = exc.line if isinstance(exc.line, int) and exc.line > 0 else None
        column = exc.column if isinstance(exc.column, int) and exc.column > 0 else None
        token = getattr(exc, "token", None)
        what = f"unexpected {str(token)[:40]!r}" if token is not None else "unexpected character"
        if isinstance(token, Token) and token.type == "$END":
            what = "unexpected end of file (is a brace or quote not closed?)"
        raise ParseError(f"invalid HCL: {what}", line, column) from None
    except LarkError as exc:
        raise ParseError(f"invalid HCL: {str(exc).splitlines()[0][:200]}") from None
    except RecursionError:
        raise ParseError("invalid HCL: nested too deeply") from None
    body = tree.children[0]
    assert isinstance(body, Tree)
    return body


def position_of(node: Node | Token) -> tuple[int, int] | None:
    """Line and column of the first token of ``node``."""
    current: Node | Token = node
    while isinstance(current, Tree):
        if not current.children:
            return None
        current = current.children[0]
    line, column = current.line, current.column
    return (line, column) if isinstance(line, int) and isinstance(column, int) else None


def line_of(node: Node | Token) -> int | None:
    position = position_of(node)
    return position[0] if position else None


def kids(node: Node) -> list[Node]:
    """The sub-trees of ``node``, newlines and comments left out."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def tokens(node: Node) -> list[Token]:
    return [c for c in node.children if isinstance(c, Token)]


def name_of(node: Node) -> str:
    """The text of an ``identifier``, ``keyword`` or ``literal_value`` node (or one wrapping it)."""
    current = node
    while isinstance(current, Tree):
        if current.data in {"identifier", "keyword", "literal_value"}:
            return str(current.children[0])
        inner = kids(current)
        if len(inner) != 1:
            break
        current = inner[0]
    raise EvalError("expected a name", node)


def label_of(node: Node) -> str:
    """A block label: a quoted string without interpolation, or a bare name."""
    if node.data == "string":
        parts: list[str] = []
        for part in node.children:
            if isinstance(part, Tree) and part.data == "string_part":
                inner = part.children[0]
                if not isinstance(inner, Token):
                    raise EvalError("a block label cannot contain an interpolation", node)
                parts.append(_unescape(inner))
        return "".join(parts)
    return name_of(node)


@dataclass(frozen=True, slots=True)
class Block:
    """One block of a body: ``resource "t" "n" { ... }``."""

    type: str
    labels: tuple[str, ...]
    body: Node
    node: Node

    @property
    def line(self) -> int | None:
        return line_of(self.node)


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expression: Node
    node: Node

    @property
    def line(self) -> int | None:
        return line_of(self.node)


_ITEMS: Final = "_aigov_body_items"


def body_items(body: Node) -> tuple[Mapping[str, Attribute], tuple[Block, ...]]:
    """The attributes (by name) and blocks of a body; a repeated attribute is an EvalError.

    Remembered on the body node itself, because a block's body is read again
    for every instance of the block, every module instance and every
    reference to it; kept on the node, the result lives exactly as long as
    the parse tree. The mapping and tuple are shared: callers do not modify
    them.
    """
    cached: tuple[Mapping[str, Attribute], tuple[Block, ...]] | None = getattr(body, _ITEMS, None)
    if cached is not None:
        return cached
    attributes: dict[str, Attribute] = {}
    blocks: list[Block] = []
    for item in kids(body):
        if item.data == "attribute":
            name_node, expression = kids(item)
            name = name_of(name_node)
            if name in attributes:
                raise EvalError(f"attribute {name!r} is set twice", item)
            attributes[name] = Attribute(name, expression, item)
        elif item.data == "block":
            parts = kids(item)
            blocks.append(Block(name_of(parts[0]), tuple(label_of(p) for p in parts[1:-1]), parts[-1], item))
    result = (attributes, tuple(blocks))
    setattr(body, _ITEMS, result)
    return result


def traversal(node: Node) -> list[str | int] | None:
    """A static traversal such as ``azurerm.prod`` or ``var.x[0]`` as its steps, else None."""
    steps: list[str | int] = []
    current = node
    while True:
        if current.data == "expr_term" and len(kids(current)) == 1:
            current = kids(current)[0]
        elif current.data == "identifier":
            steps.append(str(current.children[0]))
            return steps[::-1]
        elif current.data == "get_attr_expr_term":
            term, step = kids(current)
            steps.append(name_of(kids(step)[0]))
            current = term
        elif current.data == "index_expr_term":
            term, index = kids(current)
            literal = _literal_index(index)
            if literal is None:
                return None
            steps.append(literal)
            current = term
        else:
            return None


def _literal_index(index: Node) -> str | int | None:
    if index.data == "short_index":
        return int(str(tokens(index)[-1]))
    inner = kids(index)[0]
    while inner.data == "expr_term" and len(kids(inner)) == 1:
        inner = kids(inner)[0]
    if inner.data == "int_lit":
        return int(str(inner.children[0]))
    if inner.data == "string" and all(
        isinstance(p, Token) or (isinstance(p, Tree) and isinstance(p.children[0], Token))
        for p in inner.children
    ):
        return label_of(inner)
    return None


# --------------------------------------------------------------------------- value helpers


def _identity(value: Any) -> str:
    return json.dumps(plain(value), sort_keys=True, default=repr)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_unknown(value: Any) -> bool:
    """Whether the value as a whole is unknown (not: whether it contains an unknown)."""
    return value is UNKNOWN or isinstance(value, UnknownRef | Lazy)


def has_unknown(value: Any) -> bool:
    """Whether the value is unknown or contains an unknown anywhere."""
    if is_unknown(value):
        return True
    if isinstance(value, dict):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(has_unknown(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """The value for a resource body: sets as lists, every kind of unknown as UNKNOWN."""
    if isinstance(value, UnknownRef):
        return UNKNOWN
    if isinstance(value, Lazy):
        return plain(value.materialize())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def _number(value: float) -> int | float:
    """A number as Terraform shows it: integral values without a fraction."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if _is_number(value):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, HclSet):
        return "set"
    if isinstance(value, list):
        return "tuple"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def to_string(value: Any, node: Node | None = None) -> Any:
    """A primitive as Terraform converts it to a string (for templates and ``tostring``)."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        number = _number(value)
        return str(number) if isinstance(number, int) else repr(number)
    if value is None:
        raise EvalError("cannot use a null value in a string", node)
    raise EvalError(f"cannot convert a {type_name(value)} to a string", node)


def to_number(value: Any, node: Node | None = None) -> Any:
    if is_unknown(value):
        return UNKNOWN
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            return _number(float(value)) if any(c in value for c in ".eE") else int(value)
        except ValueError:
            raise EvalError(f"cannot convert {value[:40]!r} to a number", node) from None
    raise EvalError(f"a number is required, got {type_name(value)}", node)


def to_bool(value: Any, node: Node | None = None) -> Any:
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvalError(f"a bool is required, got {type_name(value)}", node)


def _equal(left: Any, right: Any) -> Any:
    if has_unknown(left) or has_unknown(right):
        return UNKNOWN
    if isinstance(left, bool) != isinstance(right, bool):
        return False
    if _is_number(left) and _is_number(right):
        return bool(left == right)
    if type_name(left) != type_name(right) and not (
        isinstance(left, list | tuple) and isinstance(right, list | tuple)
    ):
        return False
    return _identity(left) == _identity(right)


def _items(value: Any, node: Node | None) -> list[tuple[Any, Any]]:
    """(key, value) pairs of a collection as a ``for`` expression iterates them."""
    if isinstance(value, Lazy):
        value = value.materialize()
        if is_unknown(value):
            raise EvalError("cannot iterate over this object", node)
    if isinstance(value, dict):
        return [(k, value[k]) for k in sorted(value)]
    if isinstance(value, HclSet):
        return [(v, v) for v in value]
    if isinstance(value, list):
        return list(enumerate(value))
    raise EvalError(f"cannot iterate over a {type_name(value)}", node)


# --------------------------------------------------------------------------- the evaluator


_STRIP: Final = "~"
_ARITHMETIC: Final[Mapping[str, Callable[[Any, Any], Any]]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}
_COMPARE: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    "<": lambda a, b: bool(a < b),
    ">": lambda a, b: bool(a > b),
    "<=": lambda a, b: bool(a <= b),
    ">=": lambda a, b: bool(a >= b),
}


class Evaluator:
    """Evaluates expression nodes against a :class:`Scope` and local symbols (``for`` variables)."""

    def __init__(self, scope: Scope) -> None:
        self._scope = scope

    def evaluate(self, node: Node, symbols: Mapping[str, Any] | None = None) -> Any:
        return self._eval(node, symbols or {})

    def _eval(self, node: Node, env: Mapping[str, Any]) -> Any:
        handler = _HANDLERS.get(node.data)
        if handler is None:
            raise EvalError(f"unsupported expression ({node.data})", node)
        return handler(self, node, env)

    # ----------------------------------------------------------------- terms

    def _expr_term(self, node: Node, env: Mapping[str, Any]) -> Any:
        inner = kids(node)
        if len(inner) != 1:
            raise EvalError("unsupported expression", node)
        return self._eval(inner[0], env)

    def _identifier(self, node: Node, env: Mapping[str, Any]) -> Any:
        name = str(node.children[0])
        if name in env:
            return env[name]
        return self._scope.root(name, node)

    def _literal(self, node: Node, env: Mapping[str, Any]) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _int(self, node: Node, env: Mapping[str, Any]) -> Any:
        return int(str(node.children[0]))

    def _float(self, node: Node, env: Mapping[str, Any]) -> Any:
        return _number(float(str(node.children[0])))

    def _tuple(self, node: Node, env: Mapping[str, Any]) -> Any:
        return [self._eval(item, env) for item in kids(node)]

    def _object(self, node: Node, env: Mapping[str, Any]) -> Any:
        result: dict[str, Any] = {}
        unknown_key = False
        for element in kids(node):
            key_node, value_node = kids(element)
            key = self._object_key(key_node, env)
            value = self._eval(value_node, env)
            if is_unknown(key):
                unknown_key = True
                continue
            result[key] = value
        return UNKNOWN if unknown_key else result

    def _object_key(self, node: Node, env: Mapping[str, Any]) -> Any:
        inner = kids(node)[0] if kids(node) else node
        if inner.data == "keyword":
            return name_of(inner)
        # A bare name is the key itself, not a variable (as in HCL).
        if inner.data == "expr_term" and len(kids(inner)) == 1 and kids(inner)[0].data == "identifier":
            return name_of(kids(inner)[0])
        key = self._eval(inner, env)
        return to_string(key, node)

    def _parenthesised(self, node: Node, env: Mapping[str, Any]) -> Any:
        return self._eval(kids(node)[0], env)

    # ----------------------------------------------------------------- strings

    def _string(self, node: Node, env: Mapping[str, Any]) -> Any:
        parts = [p.children[0] for p in node.children if isinstance(p, Tree) and p.data == "string_part"]
        return self._template(parts, env, node)

    def _template_string(self, node: Node, env: Mapping[str, Any]) -> Any:
        text = str(node.children[0])
        return _unescape_text(text[2:-2])

    def _heredoc(self, node: Node, env: Mapping[str, Any]) -> Any:
        raw = str(node.children[0])
        match = re.match(r"<<-?([A-Za-z][A-Za-z0-9._-]*)\r?\n", raw)
        if match is None:
            raise EvalError("unreadable heredoc", node)
        marker = match.group(1)
        body = raw[match.end() :]
        body = body[: body.rstrip().rfind(marker)] if body.rstrip().endswith(marker) else body
        body = body.rstrip(" \t")
        if node.data == "heredoc_template_trim":
            lines = body.split("\n")
            indents = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(indents) if indents else 0
            body = "\n".join(ln[cut:] for ln in lines)
        if "${" not in body and "%{" not in body:
            return body
        # A heredoc with interpolations: parse its body as a quoted template.
        try:
            tree = parse(f"_ = {_quote_template(body)}")
        except ParseError:
            self._scope.note("a heredoc template could not be read; its value is unknown", node)
            return UNKNOWN
        attribute = kids(tree)[0]
        return self._eval(kids(attribute)[1], env)

    def _template(self, parts: Sequence[Node | Token], env: Mapping[str, Any], node: Node) -> Any:
        items: list[tuple[str, Any]] = []
        for part in parts:
            if isinstance(part, Token):
                if part.type == "ESCAPED_INTERPOLATION":
                    items.append(("text", "$" + str(part)[2:]))
                elif part.type == "ESCAPED_DIRECTIVE":
                    items.append(("text", "%" + str(part)[2:]))
                else:
                    items.append(("text", _unescape(part)))
            elif part.data == "interpolation":
                items.append(("expr", kids(part)[0]))
            else:
                items.append((part.data, part))
        position, value = self._render(items, 0, env, node, stop=())
        if position != len(items):
            raise EvalError("unbalanced template directives", node)
        return value

    def _render(
        self,
        items: Sequence[tuple[str, Any]],
        position: int,
        env: Mapping[str, Any],
        node: Node,
        stop: tuple[str, ...],
    ) -> tuple[int, Any]:
        out: list[str] = []
        unknown = False
        strip_next = False
        while position < len(items):
            kind, payload = items[position]
            if kind in stop:
                return position, UNKNOWN if unknown else "".join(out)
            position += 1
            if kind == "text":
                text = payload.lstrip() if strip_next else payload
                strip_next = False
                out.append(text)
                continue
            if kind == "expr":
                value = to_string(self._eval(payload, env), payload)
                if is_unknown(value):
                    unknown = True
                else:
                    out.append(value)
                continue
            directive = [str(t) for t in tokens(payload)]
            if directive[1:2] == [_STRIP] and out:
                out[-1] = out[-1].rstrip()
            strip_next = len(directive) > 2 and directive[-2] == _STRIP
            if kind == "template_if_start":
                position, rendered = self._render_if(items, position, env, payload)
            elif kind == "template_for_start":
                position, rendered = self._render_for(items, position, env, payload)
            else:
                raise EvalError("unbalanced template directives", payload)
            if is_unknown(rendered):
                unknown = True
            else:
                out.append(rendered)
            if sum(len(s) for s in out) > MAX_STRING:
                raise EvalError(f"the string is longer than {MAX_STRING} characters", node)
        if stop:
            raise EvalError("template directive not closed", node)
        return position, UNKNOWN if unknown else "".join(out)

    def _render_if(
        self, items: Sequence[tuple[str, Any]], position: int, env: Mapping[str, Any], start: Node
    ) -> tuple[int, Any]:
        condition = to_bool(self._eval(kids(start)[0], env), start)
        position, then = self._render(items, position, env, start, ("template_else", "template_endif"))
        otherwise: Any = ""
        if items[position][0] == "template_else":
            position, otherwise = self._render(items, position + 1, env, start, ("template_endif",))
        position += 1  # the endif
        if is_unknown(condition):
            return position, UNKNOWN
        return position, then if condition else otherwise

    def _render_for(
        self, items: Sequence[tuple[str, Any]], position: int, env: Mapping[str, Any], start: Node
    ) -> tuple[int, Any]:
        names = [name_of(k) for k in kids(start) if k.data == "identifier"]
        collection = self._eval(next(k for k in kids(start) if k.data != "identifier"), env)
        body_start = position
        end, _ = self._skip(items, position, start)
        if is_unknown(collection):
            return end + 1, UNKNOWN
        out: list[str] = []
        for key, value in _items(collection, start):
            local = dict(env)
            if len(names) == 2:
                local[names[0]], local[names[1]] = key, value
            else:
                local[names[0]] = value
            _, rendered = self._render(items, body_start, local, start, ("template_endfor",))
            if is_unknown(rendered):
                return end + 1, UNKNOWN
            out.append(rendered)
        return end + 1, "".join(out)

    def _skip(self, items: Sequence[tuple[str, Any]], position: int, start: Node) -> tuple[int, None]:
        depth = 0
        while position < len(items):
            kind = items[position][0]
            if kind == "template_for_start":
                depth += 1
            elif kind == "template_endfor":
                if depth == 0:
                    return position, None
                depth -= 1
            position += 1
        raise EvalError("%{for} without %{endfor}", start)

    # ----------------------------------------------------------------- operators

    def _unary(self, node: Node, env: Mapping[str, Any]) -> Any:
        operator = str(tokens(node)[0])
        value = self._eval(kids(node)[0], env)
        if is_unknown(value):
            return UNKNOWN
        if operator == "!":
            if not isinstance(value, bool):
                raise EvalError(f"! needs a bool, got {type_name(value)}", node)
            return not value
        number = to_number(value, node)
        return UNKNOWN if is_unknown(number) else -number

    def _binary(self, node: Node, env: Mapping[str, Any]) -> Any:
        left_node, term = kids(node)
        operator_node, right_node = kids(term)
        operator = str(operator_node.children[0]).strip()
        left = self._eval(left_node, env)
        if operator in ("&&", "||"):
            return self._logical(operator, left, right_node, env, node)
        right = self._eval(right_node, env)
        if operator == "==":
            return _equal(left, right)
        if operator == "!=":
            equal = _equal(left, right)
            return UNKNOWN if is_unknown(equal) else not equal
        a, b = to_number(left, left_node), to_number(right, right_node)
        if is_unknown(a) or is_unknown(b):
            return UNKNOWN
        if operator in _COMPARE:
            return _COMPARE[operator](a, b)
        if operator in _ARITHMETIC:
            return _number(_ARITHMETIC[operator](a, b))
        if b == 0:
            raise EvalError("division by zero", node)
        if operator == "/":
            return _number(a / b)
        return _number(math.fmod(a, b))

    def _logical(self, operator: str, left: Any, right_node: Node, env: Mapping[str, Any], node: Node) -> Any:
        left = to_bool(left, node) if not is_unknown(left) else UNKNOWN
        decisive = operator == "||"  # true decides ||, false decides &&
        if left is decisive:
            return decisive
        right = self._eval(right_node, env)
        right = to_bool(right, node) if not is_unknown(right) else UNKNOWN
        if right is decisive:
            return decisive
        if is_unknown(left) or is_unknown(right):
            return UNKNOWN
        return not decisive

    def _conditional(self, node: Node, env: Mapping[str, Any]) -> Any:
        condition_node, then_node, else_node = kids(node)
        condition = self._eval(condition_node, env)
        if is_unknown(condition):
            # Both branches alike: the value is known whichever is taken.
            then, otherwise = self._eval(then_node, env), self._eval(else_node, env)
            return then if _equal(then, otherwise) is True else UNKNOWN
        if not isinstance(condition, bool):
            condition = to_bool(condition, condition_node)
        return self._eval(then_node if condition else else_node, env)

    # ----------------------------------------------------------------- access

    def _get_attr(self, node: Node, env: Mapping[str, Any]) -> Any:
        term, step = kids(node)
        return get_attr(self._eval(term, env), name_of(kids(step)[0]), step)

    def _index(self, node: Node, env: Mapping[str, Any]) -> Any:
        term, index = kids(node)
        target = self._eval(term, env)
        if index.data == "short_index":
            key: Any = int(str(tokens(index)[-1]))
        else:
            key = self._eval(kids(index)[0], env)
        return get_index(target, key, index)

    def _splat(self, node: Node, env: Mapping[str, Any]) -> Any:
        term, splat = kids(node)
        target = self._eval(term, env)
        if is_unknown(target):
            return UNKNOWN
        if target is None:
            return []
        elements = list(target) if isinstance(target, list | tuple) else [target]
        result = []
        for element in elements:
            value = element
            for step in kids(splat):
                if step.data == "get_attr":
                    value = get_attr(value, name_of(kids(step)[0]), step)
                elif step.data == "short_index":
                    value = get_index(value, int(str(tokens(step)[-1])), step)
                else:
                    value = get_index(value, self._eval(kids(step)[0], env), step)
            result.append(value)
        return result

    # ----------------------------------------------------------------- for expressions

    def _for(self, node: Node, env: Mapping[str, Any]) -> Any:
        parts = kids(node)
        intro = parts[0]
        names = [name_of(k) for k in kids(intro) if k.data == "identifier"]
        collection = self._eval(next(k for k in kids(intro) if k.data != "identifier"), env)
        condition = parts[-1] if parts[-1].data == "for_cond" else None
        bodies = parts[1:-1] if condition is not None else parts[1:]
        grouping = any(str(t) == "..." for t in tokens(node))
        if is_unknown(collection):
            return UNKNOWN
        pairs = _items(collection, intro)
        if len(pairs) > MAX_ITEMS:
            raise EvalError(f"a for expression over more than {MAX_ITEMS} items", node)
        is_object = node.data == "for_object_expr"
        out_list: list[Any] = []
        out_map: dict[str, Any] = {}
        for key, value in pairs:
            local = dict(env)
            if len(names) == 2:
                local[names[0]], local[names[1]] = key, value
            else:
                local[names[0]] = value
            if condition is not None:
                keep = self._eval(kids(condition)[0], local)
                if is_unknown(keep):
                    return UNKNOWN
                if to_bool(keep, condition) is False:
                    continue
            if not is_object:
                out_list.append(self._eval(bodies[0], local))
                continue
            item_key = to_string(self._eval(bodies[0], local), bodies[0])
            if is_unknown(item_key):
                return UNKNOWN
            item_value = self._eval(bodies[1], local)
            if grouping:
                out_map.setdefault(item_key, []).append(item_value)
            elif item_key in out_map:
                raise EvalError(f"duplicate key {item_key!r} in a for expression (add ... to group)", node)
            else:
                out_map[item_key] = item_value
        return out_map if is_object else out_list

    # ----------------------------------------------------------------- functions

    def _call(self, node: Node, env: Mapping[str, Any]) -> Any:
        names = [name_of(k) for k in kids(node) if k.data == "identifier"]
        name = "::".join(names)
        argument_nodes = [k for k in kids(node) if k.data == "arguments"]
        arguments = kids(argument_nodes[0]) if argument_nodes else []
        expand = bool(argument_nodes) and any(str(t) == "..." for t in tokens(argument_nodes[0]))
        if name == "try":
            return self._try(arguments, env, node)
        if name == "can":
            return self._can(arguments, env, node)
        function = FUNCTIONS.get(name)
        if function is None:
            self._scope.note(f"function {name}() is not evaluated; its result is unknown", node)
            return UNKNOWN
        values = [self._eval(a, env) for a in arguments]
        if expand:
            last = values.pop()
            if is_unknown(last):
                return UNKNOWN
            if not isinstance(last, list | tuple):
                raise EvalError("... expands a list or set only", node)
            values.extend(last)
        try:
            return function(*values)
        except _Unsupported as exc:
            self._scope.note(f"{exc.message} is not evaluated; the value is unknown", node)
            return UNKNOWN
        except EvalError as exc:
            raise EvalError(f"{name}(): {exc.message}", exc.node or node) from None
        except TypeError:
            raise EvalError(f"{name}(): wrong number or type of arguments", node) from None

    def _try(self, arguments: Sequence[Node], env: Mapping[str, Any], node: Node) -> Any:
        for argument in arguments:
            try:
                value = self._eval(argument, env)
            except EvalError:
                continue
            return value
        raise EvalError("try(): no expression succeeded", node)

    def _can(self, arguments: Sequence[Node], env: Mapping[str, Any], node: Node) -> Any:
        if len(arguments) != 1:
            raise EvalError("can() takes one argument", node)
        try:
            value = self._eval(arguments[0], env)
        except EvalError:
            return False
        return UNKNOWN if is_unknown(value) else True


_HANDLERS: Final[Mapping[str, Callable[[Evaluator, Node, Mapping[str, Any]], Any]]] = {
    "expr_term": Evaluator._expr_term,
    "identifier": Evaluator._identifier,
    "literal_value": Evaluator._literal,
    "int_lit": Evaluator._int,
    "float_lit": Evaluator._float,
    "string": Evaluator._string,
    "template_string": Evaluator._template_string,
    "heredoc_template": Evaluator._heredoc,
    "heredoc_template_trim": Evaluator._heredoc,
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "unary_op": Evaluator._unary,
    "binary_op": Evaluator._binary,
    "conditional": Evaluator._conditional,
    "get_attr_expr_term": Evaluator._get_attr,
    "index_expr_term": Evaluator._index,
    "attr_splat_expr_term": Evaluator._splat,
    "full_splat_expr_term": Evaluator._splat,
    "for_tuple_expr": Evaluator._for,
    "for_object_expr": Evaluator._for,
    "function_call": Evaluator._call,
}


def get_attr(target: Any, name: str, node: Node | None) -> Any:
    """``target.name``: unknown stays unknown, a missing attribute is an EvalError."""
    if isinstance(target, Lazy):
        return target.attr(name, node)
    if is_unknown(target):
        return UNKNOWN
    if isinstance(target, dict):
        if name in target:
            return target[name]
        raise EvalError(f"this object has no attribute {name!r}", node)
    if isinstance(target, list) and name.isdigit():
        return get_index(target, int(name), node)
    raise EvalError(f"cannot read attribute {name!r} of a {type_name(target)}", node)


def get_index(target: Any, key: Any, node: Node | None) -> Any:
    """``target[key]``."""
    if is_unknown(key):
        return UNKNOWN
    if isinstance(target, Lazy):
        return target.attr(to_string(key, node), node)
    if is_unknown(target):
        return UNKNOWN
    if isinstance(target, dict):
        text = to_string(key, node)
        if text in target:
            return target[text]
        raise EvalError(f"no element with key {text!r}", node)
    if isinstance(target, list):
        number = to_number(key, node)
        if not isinstance(number, int) or isinstance(number, bool):
            raise EvalError("a list index must be a whole number", node)
        if not 0 <= number < len(target):
            raise EvalError(f"index {number} is out of range for a list of {len(target)}", node)
        return target[number]
    raise EvalError(f"cannot index a {type_name(target)}", node)


# --------------------------------------------------------------------------- strings


_ESCAPES: Final = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_SIMPLE: Final = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


def _unescape_text(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        escape = match.group(0)[1:]
        if escape[0] in "uU":
            code = int(escape[1:], 16)
            return chr(code) if code <= 0x10FFFF and not 0xD800 <= code < 0xE000 else match.group(0)
        return _SIMPLE.get(escape, match.group(0))

    return _ESCAPES.sub(replace, text)


def _unescape(token: Token) -> str:
    return _unescape_text(str(token))


def _quote_template(body: str) -> str:
    """A heredoc body as a quoted HCL template: literal text escaped, ``${}``/``%{}`` kept."""
    out: list[str] = ['"']
    i = 0
    while i < len(body):
        if body.startswith(("${", "%{"), i) and not body.startswith(("$${", "%%{"), i - 1 if i else i):
            depth, j = 0, i + 1
            while j < len(body):
                if body[j] == "{":
                    depth += 1
                elif body[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(body[i : j + 1])
            i = j + 1
            continue
        char = body[i]
        out.append({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, char))
        i += 1
    out.append('"')
    return "".join(out)


# --------------------------------------------------------------------------- functions


def _unknown_in(*values: Any) -> bool:
    return any(has_unknown(v) for v in values)


def _known(function: Callable[..., Any]) -> Callable[..., Any]:
    """A function whose result is unknown when any argument contains an unknown."""

    def wrapper(*args: Any) -> Any:
        return UNKNOWN if _unknown_in(*args) else function(*args)

    return wrapper


def _shallow(function: Callable[..., Any]) -> Callable[..., Any]:
    """A function whose result is unknown when an argument is itself unknown (not merely contains one)."""

    def wrapper(*args: Any) -> Any:
        return UNKNOWN if any(is_unknown(a) for a in args) else function(*args)

    return wrapper


def _string_arg(value: Any) -> str:
    text = to_string(value)
    assert isinstance(text, str)
    return text


def _list_arg(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    raise EvalError(f"a list is required, got {type_name(value)}")


def _map_arg(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise EvalError(f"a map is required, got {type_name(value)}")


def _merge(*maps: Any) -> Any:
    result: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if is_unknown(m):
            return UNKNOWN
        result.update(_map_arg(m))
    return result


def _lookup(mapping: Any, key: Any, *default: Any) -> Any:
    if is_unknown(mapping) or is_unknown(key):
        return UNKNOWN
    if len(default) > 1:
        raise EvalError("takes two or three arguments")
    text = _string_arg(key)
    values = _map_arg(mapping)
    if text in values:
        return values[text]
    if default:
        return default[0]
    raise EvalError(f"no key {text!r} and no default")


def _coalesce(*values: Any) -> Any:
    for value in values:
        if is_unknown(value):
            return UNKNOWN
        if value is not None and value != "":
            return value
    raise EvalError("no non-null, non-empty argument")


def _coalescelist(*values: Any) -> Any:
    for value in values:
        if is_unknown(value):
            return UNKNOWN
        if _list_arg(value):
            return value
    raise EvalError("no non-empty list")


def _concat(*lists: Any) -> Any:
    result: list[Any] = []
    for item in lists:
        if is_unknown(item):
            return UNKNOWN
        result.extend(_list_arg(item))
    return result


_VERB: Final = re.compile(
    r"%(?P<flags>[-+# 0]{0,5})(?P<width>\d{0,4})(?:\.(?P<precision>\d{1,4}))?(?P<verb>.)?"
)


def _format(spec: Any, *args: Any) -> Any:
    text = _string_arg(spec)
    out: list[str] = []
    position = 0
    remaining = list(args)
    last = 0
    for match in _VERB.finditer(text):
        out.append(text[last : match.start()])
        last = match.end()
        verb = match.group("verb")
        if verb == "%":
            out.append("%")
            continue
        if verb is None or verb not in "sdfgevqtxXob":
            raise EvalError(f"unsupported format verb {match.group(0)!r}")
        if not remaining:
            raise EvalError("not enough arguments for the format string")
        value = remaining.pop(0)
        position += 1
        if has_unknown(value):
            return UNKNOWN
        out.append(_format_one(value, match))
    out.append(text[last:])
    if remaining:
        raise EvalError("too many arguments for the format string")
    return "".join(out)


def _format_one(value: Any, match: re.Match[str]) -> str:
    verb = match.group("verb")
    flags, width, precision = match.group("flags"), match.group("width"), match.group("precision")
    if verb in "sv" and isinstance(value, dict | list | tuple):
        rendered = json.dumps(plain(value), separators=(",", ":"))
    elif verb in "sv" or verb == "t":
        rendered = _string_arg(value)
    elif verb == "q":
        rendered = json.dumps(_string_arg(value))
    else:
        number = to_number(value)
        python_spec = f"{flags}{width}{'.' + precision if precision else ''}"
        python_verb = {"d": "d", "f": "f", "g": "g", "e": "e", "x": "x", "X": "X", "o": "o", "b": "b"}[verb]
        if python_verb in "dxXob":
            if not isinstance(number, int):
                raise EvalError(f"%{verb} needs a whole number")
            return format(number, python_spec.replace("#", "") + python_verb)
        return format(float(number), (python_spec or "") + python_verb)
    if width:
        size = int(width)
        rendered = rendered.ljust(size) if "-" in flags else rendered.rjust(size)
    return rendered


def _length(value: Any) -> Any:
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    raise EvalError(f"cannot take the length of a {type_name(value)}")


def _keys(value: Any) -> Any:
    return sorted(_map_arg(value))


def _values(value: Any) -> Any:
    mapping = _map_arg(value)
    return [mapping[k] for k in sorted(mapping)]


def _contains(collection: Any, value: Any) -> Any:
    items = _list_arg(collection)
    if _unknown_in(value, *items):
        return UNKNOWN
    return any(_equal(item, value) is True for item in items)


def _join(separator: Any, *lists: Any) -> Any:
    items = [item for lst in lists for item in _list_arg(lst)]
    return _string_arg(separator).join(_string_arg(i) for i in items)


def _split(separator: Any, text: Any) -> Any:
    sep, value = _string_arg(separator), _string_arg(text)
    if not sep:
        raise EvalError("the separator is empty")
    return value.split(sep)


def _replace(text: Any, old: Any, new: Any) -> Any:
    value, pattern, replacement = _string_arg(text), _string_arg(old), _string_arg(new)
    if len(pattern) > 1 and pattern.startswith("/") and pattern.endswith("/"):
        raise _Unsupported("replace() with a regular expression")
    result = value.replace(pattern, replacement)
    if len(result) > MAX_STRING:
        raise EvalError(f"the result is longer than {MAX_STRING} characters")
    return result


def _substr(text: Any, offset: Any, length: Any) -> Any:
    value = _string_arg(text)
    start, size = to_number(offset), to_number(length)
    if not isinstance(start, int) or not isinstance(size, int):
        raise EvalError("offset and length must be whole numbers")
    if start < 0:
        start = max(0, len(value) + start)
    if start > len(value):
        raise EvalError("offset is past the end of the string")
    return value[start:] if size == -1 else value[start : start + size]


def _jsonencode(value: Any) -> Any:
    return json.dumps(plain(value), separators=(",", ":"), ensure_ascii=False)


def _jsondecode(text: Any) -> Any:
    value = _string_arg(text)
    if len(value) > MAX_STRING:
        raise EvalError("the JSON text is too long")
    try:
        decoded = json.loads(value)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise EvalError(f"invalid JSON: {exc}") from None
    return _normalise_json(decoded)


def _normalise_json(value: Any) -> Any:
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {k: _normalise_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise_json(v) for v in value]
    return value


def _element(collection: Any, index: Any) -> Any:
    items = _list_arg(collection)
    position = to_number(index)
    if not items:
        raise EvalError("cannot use element() on an empty list")
    if not isinstance(position, int):
        raise EvalError("the index must be a whole number")
    return items[position % len(items)]


def _flatten(collection: Any) -> Any:
    result: list[Any] = []
    stack: list[Iterator[Any]] = [iter(_list_arg(collection))]
    while stack:
        for item in stack[-1]:
            if is_unknown(item):
                return UNKNOWN
            if isinstance(item, list | tuple):
                stack.append(iter(item))
                break
            result.append(item)
        else:
            stack.pop()
    return result


def _distinct(collection: Any) -> Any:
    items = _list_arg(collection)
    seen: set[str] = set()
    result = []
    for item in items:
        marker = _identity(item)
        if marker not in seen:
            seen.add(marker)
            result.append(item)
    return result


def _numbers(values: Sequence[Any]) -> list[Any]:
    if not values:
        raise EvalError("needs at least one number")
    return [to_number(v) for v in values]


def _zipmap(keys: Any, values: Any) -> Any:
    names, items = _list_arg(keys), _list_arg(values)
    if len(names) != len(items):
        raise EvalError("the key and value lists differ in length")
    return {_string_arg(k): v for k, v in zip(names, items, strict=True)}


def _range(*args: Any) -> Any:
    numbers = _numbers(args)
    if len(numbers) == 1:
        start, stop, step = 0, numbers[0], 1 if numbers[0] >= 0 else -1
    elif len(numbers) == 2:
        start, stop = numbers
        step = 1 if stop >= start else -1
    elif len(numbers) == 3:
        start, stop, step = numbers
    else:
        raise EvalError("takes one to three arguments")
    if step == 0:
        raise EvalError("the step cannot be zero")
    count = max(0, math.ceil((stop - start) / step))
    if count > MAX_ITEMS:
        raise EvalError(f"a range of {count} numbers is more than the limit of {MAX_ITEMS}")
    return [_number(start + i * step) for i in range(count)]


def _tolist(value: Any) -> Any:
    return list(_list_arg(value))


def _tomap(value: Any) -> Any:
    return dict(_map_arg(value))


def _toset(value: Any) -> Any:
    items = _list_arg(value)
    return UNKNOWN if _unknown_in(*items) else HclSet.of(items)


def _primitive_check(value: Any) -> Any:
    if value is None or isinstance(value, str | bool) or _is_number(value):
        return value
    raise EvalError(f"cannot convert a {type_name(value)} to a primitive")


def _tostring(value: Any) -> Any:
    return None if value is None else _string_arg(_primitive_check(value))


class _Unsupported(EvalError):
    """A function or form aigov does not evaluate: the value is unknown, noted, never an error."""


FUNCTIONS: Final[Mapping[str, Callable[..., Any]]] = {
    "merge": _merge,
    "lookup": _lookup,
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "concat": _concat,
    "format": _format,
    "lower": _known(lambda s: _string_arg(s).lower()),
    "upper": _known(lambda s: _string_arg(s).upper()),
    "title": _known(lambda s: _string_arg(s).title()),
    "tostring": _shallow(_tostring),
    "tonumber": _shallow(lambda v: None if v is None else to_number(v)),
    "tobool": _shallow(lambda v: None if v is None else to_bool(v)),
    "toset": _shallow(_toset),
    "tolist": _shallow(_tolist),
    "tomap": _shallow(_tomap),
    "length": _length,
    "keys": _shallow(_keys),
    "values": _shallow(_values),
    "contains": _shallow(_contains),
    "join": _known(_join),
    "split": _known(_split),
    "replace": _known(_replace),
    "substr": _known(_substr),
    "trimspace": _known(lambda s: _string_arg(s).strip()),
    "trimprefix": _known(lambda s, p: _string_arg(s).removeprefix(_string_arg(p))),
    "trimsuffix": _known(lambda s, p: _string_arg(s).removesuffix(_string_arg(p))),
    "jsonencode": _known(_jsonencode),
    "jsondecode": _known(_jsondecode),
    "element": _shallow(_element),
    "flatten": _shallow(_flatten),
    "distinct": _known(_distinct),
    "min": _known(lambda *v: _number(min(_numbers(v)))),
    "max": _known(lambda *v: _number(max(_numbers(v)))),
    "abs": _known(lambda v: abs(to_number(v))),
    "ceil": _known(lambda v: math.ceil(to_number(v))),
    "floor": _known(lambda v: math.floor(to_number(v))),
    "zipmap": _known(_zipmap),
    "range": _known(_range),
    "startswith": _known(lambda s, p: _string_arg(s).startswith(_string_arg(p))),
    "endswith": _known(lambda s, p: _string_arg(s).endswith(_string_arg(p))),
}
"""The functions evaluated (besides ``try`` and ``can``); any other call is UNKNOWN and noted."""
