"""Reading untrusted YAML (rules, rule tests, ``aigov.yaml``) and reporting errors by line.

Documents are parsed with PyYAML's safe loader (no tags that construct
Python objects), through libyaml's C parser where PyYAML has it. The node tree
that turns a JSON-Schema error's path into the line an author sees is
composed only when a line is asked for: every scan reads the bundled rules,
and composing their trees would cost more than the rest of a small scan.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from aigov.errors import AigovError
from aigov.paths import package_data
from aigov.readfile import read_regular_text

if TYPE_CHECKING:  # jsonschema is imported when a document is validated, not with this module
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

MAX_BYTES: Final = 16 * 1024 * 1024
"""Largest YAML document read (rules, configuration, usage and catalogues are far smaller)."""

MAX_INT: Final = 2**53
"""Largest integer magnitude read: the range JSON numbers (IEEE doubles) hold exactly."""

MAX_INT_TEXT: Final = 64
"""Longest integer literal converted (``0b`` literals of 53 bits and underscores fit)."""

MAX_ALIAS_NODES: Final = 100_000
"""How many nodes aliases (``*name``) may add to a document in all."""

PathElem = str | int
ErrorFactory = Callable[..., AigovError]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def json_path(path: Sequence[PathElem]) -> str:
    """``$.if.allOf[1]``; keys that are not plain names are quoted: ``$.tags['app.id']``."""
    out = ["$"]
    for elem in path:
        if isinstance(elem, int):
            out.append(f"[{elem}]")
        elif _IDENTIFIER.match(elem):
            out.append(f".{elem}")
        else:
            out.append(f"[{elem!r}]")
    return "".join(out)


class NodeTree:
    """The YAML node tree of a document, composed on first use (it only serves line numbers)."""

    def __init__(self, text: str, loader: type[yaml.SafeLoader]) -> None:
        self._text = text
        self._loader = loader

    @cached_property
    def root(self) -> yaml.Node | None:
        parser = self._loader(self._text)
        try:
            return parser.get_single_node()
        except yaml.YAMLError:  # the data parsed, so this does not happen; no line then
            return None
        finally:
            parser.dispose()


Root = NodeTree | yaml.Node | None


def node_at(root: Root, path: Sequence[PathElem]) -> yaml.Node | None:
    """The deepest YAML node along ``path`` (the node itself when the whole path resolves)."""
    node = root.root if isinstance(root, NodeTree) else root
    for elem in path:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(elem):
                    child = value_node
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(elem, int) and elem < len(node.value):
            child = node.value[elem]
        if child is None:
            break
        node = child
    return node


def where(root: Root, path: Sequence[PathElem]) -> str:
    """``line 12: $.if.allOf[1]`` (the line is omitted when the node tree cannot place it)."""
    node = node_at(root, path)
    if node is None:
        return json_path(path)
    return f"line {node.start_mark.line + 1}: {json_path(path)}"


def line_of(root: Root, path: Sequence[PathElem]) -> int | None:
    node = node_at(root, path)
    return None if node is None else node.start_mark.line + 1


def load(
    path: Path,
    error: ErrorFactory,
    *,
    loader: type[yaml.SafeLoader] | None = None,
) -> tuple[Any, NodeTree]:
    """Parse one YAML document safely; returns the data (dates as ISO strings) and its node tree."""
    text = read_regular_text(path, MAX_BYTES, error, encoding="utf-8")
    return loads(text, str(path), error, loader=loader)


def loads(
    text: str,
    file: str,
    error: ErrorFactory,
    *,
    loader: type[yaml.SafeLoader] | None = None,
) -> tuple[Any, NodeTree]:
    """Like :func:`load`, from text already read.

    Bounded: at most :data:`MAX_BYTES` of text, aliases that add at most
    :data:`MAX_ALIAS_NODES` nodes, and no alias inside the node it names.
    """
    if len(text) > MAX_BYTES:
        raise error(f"YAML document is larger than {MAX_BYTES // (1024 * 1024)} MiB; not read", file=file)
    chosen = loader or FastSafeLoader
    _check_aliases(text, file, error, chosen)
    parser: yaml.SafeLoader | None = None
    try:
        parser = chosen(text)  # the pure-Python reader checks every character here
        data = parser.get_single_data()
        return plain(data), NodeTree(text, loader or SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise error(f"invalid YAML: {problem}", file=file, where=at) from None
    except yaml.reader.ReaderError as exc:
        raise error(
            f"invalid YAML: character #x{exc.character:04x} is not allowed ({exc.reason})",
            file=file,
            where=_position(text, exc.position),
        ) from None
    except RecursionError:
        raise error("invalid YAML: nested too deeply", file=file) from None
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        # PyYAML's constructors can fail with plain ValueError/TypeError on odd scalars.
        raise error(f"invalid YAML: {_one_line(str(exc))}", file=file) from None
    finally:
        if parser is not None:
            parser.dispose()


def _position(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    return f"line {text.count(chr(10), 0, offset) + 1}, column {offset - line_start + 1}"


def _at(mark: Any) -> str | None:
    """``line L, column C`` of a YAML mark (libyaml's or PyYAML's), None without one."""
    return None if mark is None else f"line {mark.line + 1}, column {mark.column + 1}"


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _check_aliases(text: str, file: str, error: ErrorFactory, loader: type[yaml.SafeLoader]) -> None:
    """Refuse an alias bomb or a self-referencing alias before the document is built.

    Loading shares an aliased node, but everything after (turning the data
    into plain JSON data, validating it, evaluating rules) walks it once per
    alias: nine aliases of nine aliases of ... grow to billions of nodes. The
    parser's events are counted here, each alias adding the size of what it
    names. Without an anchor (``&``) there is no alias, so most files skip this.
    """
    if "&" not in text:
        return
    try:
        parser = loader(text)
    except yaml.YAMLError:
        return  # the document is invalid: loading it reports where
    sizes: dict[str, int] = {}
    open_collections: list[tuple[str | None, int]] = []
    nodes = added = 0
    try:
        while parser.check_event():
            event = parser.get_event()  # type: ignore[no-untyped-call]
            if isinstance(event, yaml.AliasEvent):
                anchor = str(event.anchor)
                at = _at(event.start_mark)
                if any(name == anchor for name, _ in open_collections):
                    raise error(
                        f"invalid YAML: alias *{anchor} is inside the node &{anchor} it names (a cycle)",
                        file=file,
                        where=at,
                    )
                size = sizes.get(anchor, 1)
                nodes += size
                added += size
                if added > MAX_ALIAS_NODES:
                    raise error(
                        f"invalid YAML: aliases expand to more than {MAX_ALIAS_NODES} nodes",
                        file=file,
                        where=at,
                    )
            elif isinstance(event, yaml.ScalarEvent):
                nodes += 1
                if event.anchor is not None:
                    sizes[str(event.anchor)] = 1
            elif isinstance(event, yaml.CollectionStartEvent):
                nodes += 1
                open_collections.append((None if event.anchor is None else str(event.anchor), nodes))
            elif isinstance(event, yaml.CollectionEndEvent) and open_collections:
                opened, started = open_collections.pop()
                if opened is not None:
                    sizes[opened] = nodes - started + 1
    except yaml.YAMLError:
        return  # the document is invalid: loading it reports where
    finally:
        parser.dispose()


def plain(value: Any) -> Any:
    """YAML data as JSON data: dates become ISO strings and mapping keys strings.

    YAML 1.1 turns ``2026-09-01`` into a ``date``; the schemas speak JSON, so
    dates are validated as strings and parsed again where a date is expected.
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


class SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that keeps timestamps as the strings written.

    The schemas check dates as ``YYYY-MM-DD`` strings and the callers parse
    them, so ``2026-02-30`` is an error with a line rather than a crash in
    PyYAML's date constructor.
    """


def _timestamp_as_text(loader: SafeLoader, node: yaml.Node) -> str:
    assert isinstance(node, yaml.ScalarNode)
    return str(loader.construct_scalar(node))


def _finite_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    """A YAML float that is a number: ``.nan`` and ``.inf`` would turn every cost into nonsense."""
    assert isinstance(node, yaml.ScalarNode)
    value = loader.construct_yaml_float(node)
    if not math.isfinite(value):
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value} is not a finite number", node.start_mark
        )
    return float(value)


def _bounded_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    """A YAML integer within the range JSON numbers hold exactly (RFC 7493: at most 2**53)."""
    assert isinstance(node, yaml.ScalarNode)
    text = str(node.value)
    value = None if len(text) > MAX_INT_TEXT else loader.construct_yaml_int(node)
    if value is None or abs(value) > MAX_INT:
        shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"
        raise yaml.constructor.ConstructorError(
            None, None, f"the integer {shown} is out of range (at most 2**53)", node.start_mark
        )
    return int(value)


SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
SafeLoader.add_constructor("tag:yaml.org,2002:float", _finite_float)
SafeLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)

_CSafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class FastSafeLoader(_CSafeLoader):  # type: ignore[valid-type,misc]
    """The same safe loading on libyaml's C parser (the pure-Python one where PyYAML lacks it)."""


FastSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
FastSafeLoader.add_constructor("tag:yaml.org,2002:float", _finite_float)
FastSafeLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


@lru_cache(maxsize=8)
def validator(schema_name: str) -> Draft202012Validator:
    """The validator for a schema shipped in ``aigov/policy/`` (checked once per process)."""
    from jsonschema import Draft202012Validator  # noqa: PLC0415

    schema = json.loads(package_data("policy", schema_name).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate(
    schema_name: str,
    data: Any,
    root: Root,
    file: str,
    error: ErrorFactory,
    *,
    explain: Callable[[ValidationError], str] | None = None,
) -> None:
    """Raise ``error`` with the single most relevant schema violation, placed by line and JSON path."""
    from jsonschema.exceptions import best_match  # noqa: PLC0415

    found = best_match(validator(schema_name).iter_errors(data))
    if found is None:
        return
    path = list(found.absolute_path)
    message = explain(found) if explain is not None else found.message
    raise error(message, file=file, where=where(root, path))
