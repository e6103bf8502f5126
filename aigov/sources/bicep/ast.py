"""The syntax tree of a Bicep or ``.bicepparam`` file: frozen dataclasses, positions on every node.

Expressions (:data:`Expr`) and declarations (:data:`Statement`) carry the
line and column where they start, so an evaluation error or a resource's
origin can point at the source. Types are parsed (so every file that uses
them reads) but only kept as far as evaluation needs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# --------------------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Node:
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """``'text'``, ``12``, ``true``, ``null``."""

    value: Any


@dataclass(frozen=True, slots=True)
class Interpolated(Node):
    """``'${prefix}-${name}'``: literal segments and expressions in order."""

    parts: tuple[str | Expr, ...]


@dataclass(frozen=True, slots=True)
class Ref(Node):
    """A symbol: parameter, variable, resource, module, loop or lambda variable, function."""

    name: str


@dataclass(frozen=True, slots=True)
class Spread(Node):
    """``...value`` inside an array or object."""

    value: Expr


@dataclass(frozen=True, slots=True)
class Array(Node):
    items: tuple[Expr | Spread, ...]


@dataclass(frozen=True, slots=True)
class Property(Node):
    key: str | Expr  # an identifier or a (possibly interpolated) string
    value: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Object(Node):
    entries: tuple[Property | Spread | ResourceDecl, ...]  # ResourceDecl: a nested child resource


@dataclass(frozen=True, slots=True)
class Member(Node):
    """``obj.name``; ``obj.?name`` when ``safe``."""

    target: Expr
    name: str
    safe: bool = False


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``obj[expr]``; ``obj[?expr]`` when ``safe``; ``arr[^n]`` (the n-th from the end) when ``from_end``."""

    target: Expr
    index: Expr
    safe: bool = False
    from_end: bool = False


@dataclass(frozen=True, slots=True)
class ChildRef(Node):
    """``parent::child``: a nested resource reached from its parent's symbol."""

    target: Expr
    name: str


@dataclass(frozen=True, slots=True)
class Call(Node):
    """``name(args)``, ``az.name(args)`` / ``sys.name(args)``, or ``resource.name(args)``."""

    target: Expr | None
    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "!" or "-"
    operand: Expr


@dataclass(frozen=True, slots=True)
class NonNull(Node):
    """``expr!``: a non-null assertion, a no-op at evaluation."""

    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    condition: Expr
    then: Expr
    otherwise: Expr


@dataclass(frozen=True, slots=True)
class Lambda(Node):
    params: tuple[str, ...]
    body: Expr


@dataclass(frozen=True, slots=True)
class For(Node):
    """``[for (item, index) in iterable: if (condition) body]``."""

    item: str | None
    index: str | None
    iterable: Expr
    body: Expr
    condition: Expr | None = None


Expr = (
    Literal
    | Interpolated
    | Ref
    | Array
    | Object
    | Member
    | Index
    | ChildRef
    | Call
    | Unary
    | NonNull
    | Binary
    | Ternary
    | Lambda
    | For
)


# --------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class TypeRef(Node):
    """A type as far as evaluation needs it: the base name, nullability, and allowed literals."""

    name: str  # string, int, bool, object, array, a user type name, "union", "literal", "object-type", ...
    nullable: bool = False
    literals: tuple[Any, ...] = ()  # a union of literals (``'a' | 'b'``): the allowed values


# --------------------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Decorator(Node):
    name: str  # without namespace: ``description``, ``allowed``, ``batchSize``, ...
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Param(Node):
    name: str
    type: TypeRef | None  # None for a .bicepparam assignment
    default: Expr | None
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Var(Node):
    name: str
    value: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceDecl(Node):
    """``resource sym 'Type@version' [existing] = [if (c)] {...} | [for ...]``."""

    name: str
    type: str  # as written: 'Microsoft.X/y@2024-10-01', or a child's relative 'deployments@...'
    existing: bool
    value: Expr  # an Object, or a For whose body is an Object
    condition: Expr | None = None
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class ModuleDecl(Node):
    name: str
    path: str  # './core/ai.bicep', 'br:...', 'br/public:...', 'ts:...'
    value: Expr
    condition: Expr | None = None
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Output(Node):
    name: str
    type: TypeRef
    value: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class TypeDecl(Node):
    name: str
    type: TypeRef
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Func(Node):
    name: str
    params: tuple[str, ...]
    body: Expr
    decorators: tuple[Decorator, ...] = ()


@dataclass(frozen=True, slots=True)
class Import(Node):
    """``import {a, b} from './x.bicep'``, ``import * as x from ...``, ``import 'az@1.0.0'``.

    ``import * as ns`` gives one name and no original. An ``extension``
    declaration is an import too (``extension`` true): its alias, or its name,
    is a symbol whose value exists only at deployment.
    """

    path: str
    names: tuple[str, ...] = ()  # the local names (an alias where one is given)
    originals: tuple[str, ...] = ()  # the same names as the other file exports them
    extension: bool = False


@dataclass(frozen=True, slots=True)
class Test(Node):
    """``test name 'file.bicep' = {...}``: a test of another file; never deployed, so never evaluated."""

    name: str
    path: str
    value: Expr


@dataclass(frozen=True, slots=True)
class Using(Node):
    """``using './main.bicep'`` in a .bicepparam file (``using none`` gives an empty path)."""

    path: str


@dataclass(frozen=True, slots=True)
class TargetScope(Node):
    value: Expr


@dataclass(frozen=True, slots=True)
class Metadata(Node):
    name: str
    value: Expr


Statement = (
    Param
    | Var
    | ResourceDecl
    | ModuleDecl
    | Output
    | TypeDecl
    | Func
    | Import
    | Using
    | TargetScope
    | Metadata
    | Test
)


@dataclass(frozen=True, slots=True)
class File:
    """One parsed file: its declarations in order."""

    path: str
    statements: tuple[Statement, ...]
