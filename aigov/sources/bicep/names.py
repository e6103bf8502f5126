"""Every name a Bicep file uses must be declared, as the Bicep compiler requires.

A file that references a name it never declares does not compile, so it
never deploys: scanning it as if it did would pass a template Azure would
reject, and the undeclared name may hide anywhere, even in a variable or an
output no resource uses (the evaluator would never look at it). The check
walks every expression of every declaration once, before evaluation, with
Bicep's scopes:

* file scope: parameters, variables, resources (``existing`` ones too),
  modules, user functions, imported symbols
  (``import {a, b as c}``, ``import * as ns``), and the ``az``/``sys``
  namespaces (``this`` as well, for the experimental resource namespace);
* inside a resource's body: its nested child resources, by their own names;
* inside a loop: its item and index variables (in the condition and body);
* inside a lambda or a user function: its parameters.

Extension and provider aliases (``extension kubernetes with {...} as k8s``)
are read from the file's tokens, as the syntax tree does not keep them.
Function names are not checked (the evaluator reports functions it does not
know), nor are types.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from aigov.errors import SourceError
from aigov.sources.bicep import ast
from aigov.sources.bicep.lexer import tokenize

NAMESPACES: Final = frozenset({"az", "sys", "this"})
"""Names Bicep itself declares in every file."""

_TEMPLATE_SUFFIXES: Final = (".bicep", ".json", ".bicepparam")
_EXTENSION_KEYWORDS: Final = frozenset({"extension", "provider", "import"})
_OPENING: Final = frozenset({"(", "[", "{"})
_CLOSING: Final = frozenset({")", "]", "}"})


def extension_aliases(text: str, file: str) -> set[str]:
    """The names after ``as`` in the file's ``extension``, ``provider`` and ``import`` statements."""
    aliases: set[str] = set()
    tokens = tokenize(text, file)
    at_start, in_statement, depth = True, False, 0
    for index, token in enumerate(tokens):
        if token.kind == "nl" and depth == 0:
            at_start, in_statement = True, False
            continue
        if at_start:
            in_statement = token.kind == "ident" and token.value in _EXTENSION_KEYWORDS
            at_start = False
        if token.kind in _OPENING:
            depth += 1
        elif token.kind in _CLOSING:
            depth = max(depth - 1, 0)
        elif in_statement and depth == 0 and token.kind == "ident" and token.value == "as":
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if following is not None and following.kind == "ident":
                aliases.add(str(following.value))
    return aliases


def check_declared(tree: ast.File, text: str) -> None:
    """Raise :class:`SourceError` at the first use of a name ``tree`` does not declare.

    ``text`` is the source ``tree`` was parsed from: extension aliases are read from its tokens.
    """
    checker = _Checker(tree, extension_aliases(text, tree.path))
    for statement in tree.statements:
        checker.statement(statement)


class _Checker:
    def __init__(self, tree: ast.File, aliases: Iterable[str]) -> None:
        self.file = tree.path
        declared: set[str] = {*NAMESPACES, *aliases}
        self.extends = False
        for statement in tree.statements:
            if isinstance(statement, ast.Param | ast.Var | ast.ResourceDecl | ast.ModuleDecl | ast.Func):
                declared.add(statement.name)
            elif isinstance(statement, ast.Import):
                declared.update(statement.names)
                if not statement.names:
                    path = statement.path.lower()
                    if path.endswith(_TEMPLATE_SUFFIXES):
                        self.extends = True  # a .bicepparam `extends` file: its parameters are inherited
                    else:
                        declared.add(statement.path.split("@", 1)[0])
        self.file_scope: frozenset[str] = frozenset(declared)

    # ----------------------------------------------------------------- declarations

    def statement(self, statement: ast.Statement) -> None:
        scope = self.file_scope
        if isinstance(statement, ast.Param):
            self.decorators(statement.decorators, scope)
            if statement.default is not None:
                self.expr(statement.default, scope)
        elif isinstance(statement, ast.Var | ast.Output):
            self.decorators(statement.decorators, scope)
            self.expr(statement.value, scope)
        elif isinstance(statement, ast.ResourceDecl):
            self.resource(statement, scope)
        elif isinstance(statement, ast.ModuleDecl):
            self.decorators(statement.decorators, scope)
            if statement.condition is not None:
                self.expr(statement.condition, scope)
            self.expr(statement.value, scope)
        elif isinstance(statement, ast.Func):
            self.decorators(statement.decorators, scope)
            self.expr(statement.body, scope | frozenset(statement.params))
        elif isinstance(statement, ast.TypeDecl):
            self.decorators(statement.decorators, scope)
        elif isinstance(statement, ast.TargetScope | ast.Metadata):
            self.expr(statement.value, scope)

    def resource(self, decl: ast.ResourceDecl, scope: frozenset[str]) -> None:
        self.decorators(decl.decorators, scope)
        if decl.condition is not None:
            self.expr(decl.condition, scope)
        self.expr(decl.value, scope)

    def decorators(self, decorators: Iterable[ast.Decorator], scope: frozenset[str]) -> None:
        for decorator in decorators:
            for arg in decorator.args:
                self.expr(arg, scope)

    # ----------------------------------------------------------------- expressions

    def expr(self, node: ast.Expr, scope: frozenset[str]) -> None:
        if isinstance(node, ast.Ref):
            self.ref(node, scope)
        elif isinstance(node, ast.Literal):
            return
        elif isinstance(node, ast.Interpolated):
            for part in node.parts:
                if not isinstance(part, str):
                    self.expr(part, scope)
        elif isinstance(node, ast.Array):
            for item in node.items:
                self.expr(item.value if isinstance(item, ast.Spread) else item, scope)
        elif isinstance(node, ast.Object):
            self.object_(node, scope)
        elif isinstance(node, ast.Member | ast.ChildRef):
            self.expr(node.target, scope)
        elif isinstance(node, ast.Index):
            self.expr(node.target, scope)
            self.expr(node.index, scope)
        elif isinstance(node, ast.Call):
            if node.target is not None:
                self.expr(node.target, scope)
            for arg in node.args:
                self.expr(arg, scope)
        elif isinstance(node, ast.Unary | ast.NonNull):
            self.expr(node.operand, scope)
        elif isinstance(node, ast.Binary):
            self.expr(node.left, scope)
            self.expr(node.right, scope)
        elif isinstance(node, ast.Ternary):
            self.expr(node.condition, scope)
            self.expr(node.then, scope)
            self.expr(node.otherwise, scope)
        elif isinstance(node, ast.Lambda):
            self.expr(node.body, scope | frozenset(node.params))
        elif isinstance(node, ast.For):
            self.expr(node.iterable, scope)
            inner = scope | frozenset(n for n in (node.item, node.index) if n is not None)
            if node.condition is not None:
                self.expr(node.condition, inner)
            self.expr(node.body, inner)

    def object_(self, node: ast.Object, scope: frozenset[str]) -> None:
        # A resource body sees its nested child resources by their own names.
        children = frozenset(e.name for e in node.entries if isinstance(e, ast.ResourceDecl))
        inner = scope | children
        for entry in node.entries:
            if isinstance(entry, ast.ResourceDecl):
                self.resource(entry, inner)
            elif isinstance(entry, ast.Spread):
                self.expr(entry.value, inner)
            else:
                self.decorators(entry.decorators, inner)
                if not isinstance(entry.key, str):
                    self.expr(entry.key, inner)
                self.expr(entry.value, inner)

    def ref(self, node: ast.Ref, scope: frozenset[str]) -> None:
        if node.name in scope or self.extends:
            return
        raise SourceError(
            f"'{node.name}' is not declared: no parameter, variable, resource, module, function, "
            "import or loop/lambda variable has that name (the template does not compile)",
            file=self.file,
            where=f"line {node.line}, column {node.col}",
        )
