"""A recursive-descent parser for Bicep and ``.bicepparam`` files.

Hand-written for its error messages (file, line, column and what was
expected) and its speed: one token of lookahead almost everywhere, a short
bounded scan to tell a lambda's ``(a, b) =>`` from a parenthesised
expression. Nesting is capped at :data:`MAX_DEPTH` so no input can exhaust
the stack.

Newlines: inside ``(...)``, function arguments and interpolations they are
whitespace; inside ``{...}`` and ``[...]`` and between declarations they
separate. An expression continues on the next line when that line starts
with an operator that cannot start an expression (``?``, ``:``, ``??``,
``&&``, ``||``, comparisons, ``.``), which is how multi-line ternaries and
chains are written.
"""

from __future__ import annotations

from typing import Final

from aigov.errors import SourceError
from aigov.sources.bicep import ast
from aigov.sources.bicep.lexer import Token, tokenize

MAX_DEPTH: Final = 100
"""Deepest nesting of expressions and types accepted."""

_BINARY_LEVELS: Final[tuple[frozenset[str], ...]] = (
    frozenset({"??"}),
    frozenset({"||"}),
    frozenset({"&&"}),
    frozenset({"==", "!=", "=~", "!~"}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "/", "%"}),
)
_LEVEL_OF: Final = {op: level for level, ops in enumerate(_BINARY_LEVELS) for op in ops}
# Operators that may begin the next line of an expression: none of them can begin an expression.
_CONTINUATIONS: Final = frozenset(
    {
        "?",
        ":",
        "|",
        "??",
        "||",
        "&&",
        "==",
        "!=",
        "=~",
        "!~",
        "<",
        "<=",
        ">",
        ">=",
        ".",
        ".?",
        "*",
        "/",
        "%",
        "+",
    }
)
_STATEMENT_KEYWORDS: Final = frozenset(
    {
        "param",
        "var",
        "resource",
        "module",
        "output",
        "type",
        "func",
        "import",
        "using",
        "targetScope",
        "metadata",
        "extension",
        "provider",
        "extends",
        "assert",
        "test",
        "extensionConfig",
    }
)


class Parser:
    """Parses one file's tokens into an :class:`ast.File`."""

    def __init__(self, tokens: list[Token], file: str) -> None:
        self.toks = tokens
        self.file = file
        self.p = 0
        self.ignore_nl: list[bool] = [False]
        self.depth = 0

    # ----------------------------------------------------------------- token helpers

    def error(self, message: str, tok: Token | None = None) -> SourceError:
        tok = tok or self.peek()
        return SourceError(message, file=self.file, where=f"line {tok.line}, column {tok.col}")

    def expected(self, what: str) -> SourceError:
        tok = self.peek()
        return self.error(f"expected {what}, found {_describe(tok)}", tok)

    def peek(self) -> Token:
        if self.ignore_nl[-1]:
            toks = self.toks
            while toks[self.p].kind == "nl":
                self.p += 1
        return self.toks[self.p]

    def peek_at(self, offset: int) -> Token:
        """The token ``offset`` places after the next, newlines skipped when they are whitespace here."""
        i = self.p
        toks = self.toks
        seen = -1
        while True:
            tok = toks[i]
            if tok.kind == "eof":
                return tok
            if not (tok.kind == "nl" and self.ignore_nl[-1]):
                seen += 1
                if seen == offset:
                    return tok
            i += 1

    def next(self) -> Token:
        tok = self.peek()
        if tok.kind != "eof":
            self.p += 1
        return tok

    def at(self, kind: str, value: str | None = None) -> bool:
        tok = self.peek()
        return tok.kind == kind and (value is None or tok.value == value)

    def at_keyword(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "ident" and tok.value == word

    def accept(self, kind: str) -> Token | None:
        if self.peek().kind == kind:
            return self.next()
        return None

    def expect(self, kind: str, what: str | None = None) -> Token:
        if self.peek().kind != kind:
            raise self.expected(what or f"'{kind}'")
        return self.next()

    def expect_ident(self, what: str = "a name") -> str:
        tok = self.peek()
        if tok.kind != "ident":
            raise self.expected(what)
        self.p += 1
        return str(tok.value)

    def skip_nl(self) -> None:
        while self.toks[self.p].kind == "nl":
            self.p += 1

    def peek_past_nl(self) -> Token:
        i = self.p
        while self.toks[i].kind == "nl":
            i += 1
        return self.toks[i]

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nesting deeper than {MAX_DEPTH} levels; not parsed")

    def leave(self) -> None:
        self.depth -= 1

    def end_of_statement(self) -> None:
        tok = self.toks[self.p]
        if tok.kind not in ("nl", "eof"):
            raise self.expected("the end of the line")

    # ----------------------------------------------------------------- file

    def parse_file(self) -> ast.File:
        statements: list[ast.Statement] = []
        while True:
            self.skip_nl()
            if self.at("eof"):
                break
            decorators = self.decorators()
            statements.append(self.statement(decorators))
            self.end_of_statement()
        return ast.File(self.file, tuple(statements))

    def decorators(self) -> tuple[ast.Decorator, ...]:
        out: list[ast.Decorator] = []
        while self.at("@"):
            at = self.next()
            name = self.expect_ident("a decorator name")
            if self.accept("."):  # sys.description(...), az.batchSize(...)
                name = self.expect_ident("a decorator name")
            args: tuple[ast.Expr, ...] = ()
            if self.at("("):
                args = self.arguments()
            out.append(ast.Decorator(at.line, at.col, name, args))
            self.skip_nl()
        return tuple(out)

    def statement(self, decorators: tuple[ast.Decorator, ...]) -> ast.Statement:
        tok = self.peek()
        if tok.kind != "ident" or tok.value not in _STATEMENT_KEYWORDS:
            raise self.expected("a declaration (param, var, resource, module, output, type, func, ...)")
        word = str(tok.value)
        self.next()
        line, col = tok.line, tok.col
        if word == "param":
            name = self.expect_ident("a parameter name")
            if self.accept("="):  # .bicepparam: param x = value
                return ast.Param(line, col, name, None, self.expression(), decorators)
            type_ = self.type_expr()
            default = self.expression() if self.accept("=") else None
            return ast.Param(line, col, name, type_, default, decorators)
        if word == "var":
            name = self.expect_ident("a variable name")
            if not self.at("="):  # typed variable: var x string = ..., var y { a: int } = ...
                self.type_expr()
            self.expect("=", "'='")
            return ast.Var(line, col, name, self.expression(), decorators)
        if word == "resource":
            return self.resource(line, col, decorators)
        if word == "module":
            name = self.expect_ident("a module name")
            path = self.plain_string("the module path")
            self.expect("=", "'='")
            value, condition = self.declaration_body()
            return ast.ModuleDecl(line, col, name, path, value, condition, decorators)
        if word == "output":
            name = self.expect_ident("an output name")
            if self.at_keyword("resource"):
                self.next()
                self.plain_string("a resource type")
                type_ = ast.TypeRef(line, col, "resource")
            else:
                type_ = self.type_expr()
            self.expect("=", "'='")
            return ast.Output(line, col, name, type_, self.expression(), decorators)
        if word == "type":
            name = self.expect_ident("a type name")
            self.expect("=", "'='")
            self.skip_nl()
            return ast.TypeDecl(line, col, name, self.type_expr(), decorators)
        if word == "func":
            return self.function(line, col, decorators)
        if word == "import":
            return self.import_(line, col)
        if word == "using":
            if self.at_keyword("none"):
                self.next()
                return ast.Using(line, col, "")
            path = self.plain_string("the path of the template")
            if self.at_keyword("with"):  # using 'x' with { ... } (extendable parameter files)
                self.next()
                self.expression()
            return ast.Using(line, col, path)
        if word == "extends":
            return ast.Import(line, col, self.plain_string("the path of the base parameters file"))
        if word == "targetScope":
            self.expect("=", "'='")
            return ast.TargetScope(line, col, self.expression())
        if word == "metadata":
            name = self.expect_ident("a metadata name")
            self.expect("=", "'='")
            return ast.Metadata(line, col, name, self.expression())
        if word in ("extension", "provider"):
            tok = self.peek()
            path = self.plain_string("an extension name") if tok.kind == "string" else self.expect_ident()
            alias = path
            if self.at_keyword("with"):
                self.next()
                self.expression()
            if self.at_keyword("as"):
                self.next()
                alias = self.expect_ident("an alias")
            names = (alias,) if tok.kind == "ident" or alias != path else ()
            return ast.Import(line, col, path, names, extension=True)
        if word == "extensionConfig":  # .bicepparam: extensionConfig alias with {...}
            alias = self.expect_ident("an extension alias")
            if not self.at_keyword("with"):
                raise self.expected("'with'")
            self.next()
            self.expression()
            return ast.Import(line, col, alias, extension=True)
        if word == "test":  # test name 'file.bicep' = {...}
            name = self.expect_ident("a test name")
            path = self.plain_string("the path of the file under test")
            self.expect("=", "'='")
            self.skip_nl()
            return ast.Test(line, col, name, path, self.object_())
        # assert name = condition (experimental): parsed, not evaluated.
        name = self.expect_ident("an assertion name")
        self.expect("=", "'='")
        return ast.Metadata(line, col, name, self.expression())

    def resource(self, line: int, col: int, decorators: tuple[ast.Decorator, ...]) -> ast.ResourceDecl:
        name = self.expect_ident("a resource symbol name")
        type_ = self.plain_string("the resource type 'Namespace/type@api-version'")
        existing = False
        if self.at_keyword("existing"):
            self.next()
            existing = True
        self.expect("=", "'='")
        value, condition = self.declaration_body()
        return ast.ResourceDecl(line, col, name, type_, existing, value, condition, decorators)

    def declaration_body(self) -> tuple[ast.Expr, ast.Expr | None]:
        """The value of a resource or module: ``{...}``, ``if (c) {...}`` or ``[for ...]``."""
        self.skip_nl()
        if self.at_keyword("if"):
            self.next()
            condition = self.parenthesised()
            self.skip_nl()
            if not self.at("{"):
                raise self.expected("'{' after the condition")
            return self.object_(), condition
        if self.at("["):
            value = self.primary()
            if not isinstance(value, ast.For):
                raise self.error("expected an object, 'if (...)' or a '[for ...]' loop")
            return value, None
        if self.at("{"):
            return self.object_(), None
        raise self.expected("'{', 'if (...)' or '[for ...]'")

    def function(self, line: int, col: int, decorators: tuple[ast.Decorator, ...]) -> ast.Func:
        name = self.expect_ident("a function name")
        self.expect("(", "'('")
        self.ignore_nl.append(True)
        params: list[str] = []
        while not self.at(")"):
            params.append(self.expect_ident("a parameter name"))
            self.type_expr()
            if not self.accept(","):
                break
        self.expect(")", "')'")
        self.ignore_nl.pop()
        self.type_expr()
        self.expect("=>", "'=>'")
        self.skip_nl()
        return ast.Func(line, col, name, tuple(params), self.expression(), decorators)

    def import_(self, line: int, col: int) -> ast.Import:
        names: list[str] = []
        originals: list[str] = []
        if self.at("string"):  # import 'az@1.0.0' (older provider syntax)
            path = self.plain_string("a path")
            if self.at_keyword("with"):
                self.next()
                self.expression()
            if self.at_keyword("as"):
                self.next()
                self.expect_ident("an alias")
            return ast.Import(line, col, path)
        if self.accept("*"):
            if not self.at_keyword("as"):
                raise self.expected("'as'")
            self.next()
            names.append(self.expect_ident("a namespace name"))
        else:
            self.expect("{", "'{' or '*'")
            self.ignore_nl.append(True)
            while not self.at("}"):
                if self.at("string"):  # import { 'not-an-identifier' as alias } from ...
                    originals.append(self.plain_string("an imported name"))
                    if not self.at_keyword("as"):
                        raise self.expected("'as' and an alias after a quoted name")
                else:
                    originals.append(self.expect_ident("an imported name"))
                names.append(originals[-1])
                if self.at_keyword("as"):
                    self.next()
                    names[-1] = self.expect_ident("an alias")
                # Names are separated by commas, new lines, or both.
                if not self.accept(",") and self.toks[self.p - 1].line == self.peek().line:
                    break
            self.expect("}", "'}'")
            self.ignore_nl.pop()
        if not self.at_keyword("from"):
            raise self.expected("'from'")
        self.next()
        return ast.Import(line, col, self.plain_string("a path"), tuple(names), tuple(originals))

    def plain_string(self, what: str) -> str:
        tok = self.peek()
        if tok.kind != "string":
            raise self.expected(what)
        if any(not isinstance(part, str) for part in tok.value):
            raise self.error(f"{what} cannot be interpolated", tok)
        self.next()
        return "".join(tok.value)

    # ----------------------------------------------------------------- types

    def type_expr(self) -> ast.TypeRef:
        self.enter()
        try:
            self.accept("|")  # a leading '|' on a union written one option per line
            first = self.type_postfix()
            if not self._continues("|"):
                return first
            options = [first]
            while self._continues("|"):
                self.next()
                self.skip_nl()
                options.append(self.type_postfix())
            literals = tuple(v for o in options for v in o.literals)
            nullable = any(o.nullable or o.name == "null" for o in options)
            return ast.TypeRef(first.line, first.col, "union", nullable, literals)
        finally:
            self.leave()

    def type_postfix(self) -> ast.TypeRef:
        type_ = self.type_primary()
        while True:
            tok = self.toks[self.p]  # same line only
            if tok.kind in ("?", "!"):  # nullable, or (of a nullable type) not null
                self.next()
                type_ = ast.TypeRef(type_.line, type_.col, type_.name, tok.kind == "?", type_.literals)
            elif tok.kind == "[":
                self.next()
                if self.at("]"):
                    self.next()
                    type_ = ast.TypeRef(type_.line, type_.col, "array")
                else:  # an index into a type: foo[0], foo[*]
                    if not self.accept("*"):
                        self.expect("int", "an index")
                    self.expect("]", "']'")
                    type_ = ast.TypeRef(type_.line, type_.col, "any")
            elif tok.kind == ".":
                self.next()
                if not self.accept("*"):
                    self.expect_ident("a property name")
                type_ = ast.TypeRef(type_.line, type_.col, "any")
            else:
                return type_

    def type_primary(self) -> ast.TypeRef:
        tok = self.peek()
        if tok.kind == "ident":
            self.next()
            name = str(tok.value)
            if name in ("true", "false", "null"):
                value = {"true": True, "false": False, "null": None}[name]
                return ast.TypeRef(tok.line, tok.col, "literal", name == "null", (value,))
            # sys.string, types.myType; 'dictionary.*' is an element of the type (postfix).
            while self.toks[self.p].kind == "." and self.toks[self.p + 1].kind == "ident":
                self.next()
                name = self.expect_ident("a type name")
            if self.toks[self.p].kind == "<":  # resource<'T@v'>, resourceInput<'T@v'>
                self.next()
                self.ignore_nl.append(True)
                if self.at("string"):
                    self.next()
                else:
                    self.type_expr()
                while self.accept(","):
                    self.type_expr()
                self.expect(">", "'>'")
                self.ignore_nl.pop()
                return ast.TypeRef(tok.line, tok.col, name)
            return ast.TypeRef(tok.line, tok.col, name)
        if tok.kind == "string":
            text = self.plain_string("a string literal type")
            return ast.TypeRef(tok.line, tok.col, "literal", False, (text,))
        if tok.kind == "int":
            self.next()
            return ast.TypeRef(tok.line, tok.col, "literal", False, (tok.value,))
        if tok.kind == "-":
            self.next()
            number = self.expect("int", "a number")
            return ast.TypeRef(tok.line, tok.col, "literal", False, (-number.value,))
        if tok.kind == "!":  # !true, !false
            self.next()
            word = self.peek()
            if word.kind != "ident" or word.value not in ("true", "false"):
                raise self.expected("'true' or 'false' after '!'")
            self.next()
            return ast.TypeRef(tok.line, tok.col, "literal", False, (word.value != "true",))
        if tok.kind == "(":
            self.next()
            self.ignore_nl.append(True)
            inner = self.type_expr()
            self.expect(")", "')'")
            self.ignore_nl.pop()
            return inner
        if tok.kind == "{":
            self.object_type()
            return ast.TypeRef(tok.line, tok.col, "object")
        if tok.kind == "[":
            self.next()
            self.ignore_nl.append(False)
            self.skip_nl()
            while not self.at("]"):
                if self.decorators():
                    self.accept(",")  # the formatter writes '[@discriminator('k'), a | b]'
                self.type_expr()
                self.accept(",")
                self.skip_nl()
            self.expect("]", "']'")
            self.ignore_nl.pop()
            return ast.TypeRef(tok.line, tok.col, "array")
        raise self.expected("a type")

    def object_type(self) -> None:
        self.expect("{", "'{'")
        self.ignore_nl.append(False)
        self.skip_nl()
        while not self.at("}"):
            self.decorators()
            key = self.peek()
            if key.kind == "string":
                self.plain_string("a property name")
            elif key.kind in ("ident", "*"):
                self.next()
            else:
                raise self.expected("a property name")
            self.accept("?")
            self.expect(":", "':'")
            self.skip_nl()  # the type may start on the next line: a union written one option per line
            self.type_expr()
            self._separator("}")
        self.expect("}", "'}'")
        self.ignore_nl.pop()

    # ----------------------------------------------------------------- expressions

    def expression(self) -> ast.Expr:
        self.enter()
        try:
            condition = self.binary(0)
            if self._continues("?"):
                self.next()
                self.skip_nl()
                then = self.expression()
                if not self._continues(":"):
                    raise self.expected("':' of the conditional expression")
                self.next()
                self.skip_nl()
                otherwise = self.expression()
                return ast.Ternary(condition.line, condition.col, condition, then, otherwise)
            return condition
        finally:
            self.leave()

    def _continues(self, kind: str) -> bool:
        """Whether the next token (on this line or, for a continuation operator, the next) is ``kind``."""
        tok = self.peek()
        if tok.kind == kind:
            return True
        if tok.kind == "nl" and kind in _CONTINUATIONS and self.peek_past_nl().kind == kind:
            self.skip_nl()
            return True
        return False

    def binary(self, min_level: int) -> ast.Expr:
        """Binary operators by precedence climbing: one stack frame per operand, not per level."""
        left = self.unary()
        while True:
            tok = self.peek()
            kind = tok.kind
            if kind == "nl":
                nxt = self.peek_past_nl()
                if nxt.kind not in _CONTINUATIONS or nxt.kind not in _LEVEL_OF:
                    return left
                kind = nxt.kind
            level = _LEVEL_OF.get(kind)
            if level is None or level < min_level:
                return left
            self.skip_nl()
            op = self.next()
            self.skip_nl()
            right = self.binary(level + 1)
            left = ast.Binary(op.line, op.col, op.kind, left, right)

    def unary(self) -> ast.Expr:
        tok = self.peek()
        if tok.kind in ("!", "-"):
            self.next()
            self.enter()
            try:
                operand = self.unary()
            finally:
                self.leave()
            if tok.kind == "-" and isinstance(operand, ast.Literal) and isinstance(operand.value, int):
                return ast.Literal(tok.line, tok.col, -operand.value)
            return ast.Unary(tok.line, tok.col, tok.kind, operand)
        return self.postfix(self.primary())

    def postfix(self, expr: ast.Expr) -> ast.Expr:
        while True:
            tok = self.peek()
            kind = tok.kind
            if kind == "nl" and self.peek_past_nl().kind in (".", ".?"):
                self.skip_nl()
                tok = self.peek()
                kind = tok.kind
            if kind in (".", ".?"):
                self.next()
                name = self.expect_ident("a property name")
                if kind == "." and self.at("(") and self.toks[self.p].kind == "(":
                    expr = ast.Call(tok.line, tok.col, expr, name, self.arguments())
                else:
                    expr = ast.Member(tok.line, tok.col, expr, name, kind == ".?")
            elif kind == "::":
                self.next()
                expr = ast.ChildRef(tok.line, tok.col, expr, self.expect_ident("a child resource name"))
            elif kind == "[" and self.toks[self.p].kind == "[":
                self.next()
                self.ignore_nl.append(True)
                safe = self.accept("?") is not None
                from_end = self.accept("^") is not None
                index = self.expression()
                self.expect("]", "']'")
                self.ignore_nl.pop()
                expr = ast.Index(tok.line, tok.col, expr, index, safe, from_end)
            elif kind == "!" and self.toks[self.p].kind == "!":
                self.next()
                expr = ast.NonNull(tok.line, tok.col, expr)
            else:
                return expr

    def arguments(self) -> tuple[ast.Expr, ...]:
        self.expect("(", "'('")
        self.ignore_nl.append(True)
        args: list[ast.Expr] = []
        while not self.at(")"):
            args.append(self.expression())
            if not self.accept(","):
                break
        self.expect(")", "',' or ')'")
        self.ignore_nl.pop()
        return tuple(args)

    def parenthesised(self) -> ast.Expr:
        self.expect("(", "'('")
        self.ignore_nl.append(True)
        value = self.expression()
        self.expect(")", "')'")
        self.ignore_nl.pop()
        return value

    def _lambda_ahead(self) -> bool:
        """Whether ``(`` opens a lambda's parameter list: ``()`` / ``(a)`` / ``(a, b)`` then ``=>``."""
        i = self.p + 1
        toks = self.toks
        expect_name = True
        for _ in range(64):  # bounded: parameter lists are short
            tok = toks[i]
            if tok.kind == "nl":
                i += 1
                continue
            if tok.kind == ")":
                j = i + 1
                while toks[j].kind == "nl":
                    j += 1
                return toks[j].kind == "=>"
            if expect_name and tok.kind == "ident":
                expect_name = False
            elif not expect_name and tok.kind == ",":
                expect_name = True
            else:
                return False
            i += 1
        return False

    def primary(self) -> ast.Expr:
        tok = self.peek()
        kind = tok.kind
        if kind == "string":
            self.next()
            return self.string(tok)
        if kind == "int":
            self.next()
            return ast.Literal(tok.line, tok.col, tok.value)
        if kind == "ident":
            self.next()
            name = str(tok.value)
            if name in ("true", "false"):
                return ast.Literal(tok.line, tok.col, name == "true")
            if name == "null":
                return ast.Literal(tok.line, tok.col, None)
            if self.at("=>") and self.toks[self.p].kind == "=>":
                self.next()
                self.skip_nl()
                return ast.Lambda(tok.line, tok.col, (name,), self.expression())
            if self.toks[self.p].kind == "(":
                return ast.Call(tok.line, tok.col, None, name, self.arguments())
            return ast.Ref(tok.line, tok.col, name)
        if kind == "(":
            if self._lambda_ahead():
                self.next()
                self.ignore_nl.append(True)
                params: list[str] = []
                while not self.at(")"):
                    params.append(self.expect_ident("a lambda parameter"))
                    if not self.accept(","):
                        break
                self.expect(")", "')'")
                self.ignore_nl.pop()
                self.expect("=>", "'=>'")
                self.skip_nl()
                return ast.Lambda(tok.line, tok.col, tuple(params), self.expression())
            return self.parenthesised()
        if kind == "{":
            return self.object_()
        if kind == "[":
            return self.array()
        raise self.expected("an expression")

    def string(self, tok: Token) -> ast.Expr:
        parts: list[str | ast.Expr] = []
        for part in tok.value:
            if isinstance(part, str):
                parts.append(part)
                continue
            sub = Parser(list(part), self.file)
            sub.ignore_nl = [True]
            sub.depth = self.depth
            value = sub.expression()
            if not sub.at("eof"):
                raise sub.expected("'}' closing the interpolation")
            parts.append(value)
        if len(parts) == 1 and isinstance(parts[0], str):
            return ast.Literal(tok.line, tok.col, parts[0])
        return ast.Interpolated(tok.line, tok.col, tuple(parts))

    def object_(self) -> ast.Object:
        start = self.expect("{", "'{'")
        self.enter()
        self.ignore_nl.append(False)
        entries: list[ast.Property | ast.Spread | ast.ResourceDecl] = []
        self.skip_nl()
        while not self.at("}"):
            decorators = self.decorators()
            tok = self.peek()
            if tok.kind == "...":
                self.next()
                entries.append(ast.Spread(tok.line, tok.col, self.expression()))
            elif (
                tok.kind == "ident"
                and tok.value == "resource"
                and self.toks[self.p + 1].kind == "ident"
                and self.toks[self.p + 2].kind == "string"
            ):
                self.next()
                entries.append(self.resource(tok.line, tok.col, decorators))
            else:
                if tok.kind == "ident":
                    self.next()
                    key: str | ast.Expr = str(tok.value)
                elif tok.kind == "string":
                    self.next()
                    key = self.string(tok)
                else:
                    raise self.expected("a property name or '}'")
                self.expect(":", "':' after the property name")
                self.skip_nl()
                entries.append(ast.Property(tok.line, tok.col, key, self.expression(), decorators))
            self._separator("}")
        self.next()
        self.ignore_nl.pop()
        self.leave()
        return ast.Object(start.line, start.col, tuple(entries))

    def _separator(self, close: str) -> None:
        """After an item of an object or array: a new line, a comma, or the closing bracket."""
        tok = self.toks[self.p]
        if tok.kind == ",":
            self.p += 1
        elif tok.kind not in ("nl", close):
            raise self.expected(f"a new line, ',' or '{close}'")
        self.skip_nl()

    def array(self) -> ast.Expr:
        start = self.expect("[", "'['")
        self.enter()
        self.ignore_nl.append(False)
        self.skip_nl()
        try:
            if self.at_keyword("for"):
                return self.for_(start)
            items: list[ast.Expr | ast.Spread] = []
            while not self.at("]"):
                tok = self.peek()
                if tok.kind == "...":
                    self.next()
                    items.append(ast.Spread(tok.line, tok.col, self.expression()))
                else:
                    items.append(self.expression())
                self._separator("]")
            self.next()
            return ast.Array(start.line, start.col, tuple(items))
        finally:
            self.ignore_nl.pop()
            self.leave()

    def for_(self, start: Token) -> ast.For:
        self.next()  # for
        item: str | None
        index: str | None = None
        if self.at("("):
            self.next()
            item = self.expect_ident("a loop variable")
            self.expect(",", "','")
            index = self.expect_ident("an index variable")
            self.expect(")", "')'")
        else:
            item = self.expect_ident("a loop variable")
        if not self.at_keyword("in"):
            raise self.expected("'in'")
        self.next()
        iterable = self.expression()
        self.expect(":", "':'")
        self.skip_nl()
        condition: ast.Expr | None = None
        if self.at_keyword("if") and self.toks[self.p + 1].kind == "(":
            self.next()
            condition = self.parenthesised()
            self.skip_nl()
        body = self.expression()
        self.skip_nl()
        self.expect("]", "']' closing the loop")
        return ast.For(start.line, start.col, item, index, iterable, body, condition)


def _describe(tok: Token) -> str:
    if tok.kind == "eof":
        return "the end of the file"
    if tok.kind == "nl":
        return "the end of the line"
    if tok.kind == "ident":
        return f"'{tok.value}'"
    if tok.kind == "string":
        return "a string"
    if tok.kind == "int":
        return f"the number {tok.value}"
    return f"'{tok.kind}'"


def parse(text: str, file: str) -> ast.File:
    """Parse Bicep or .bicepparam text; raises :class:`SourceError` naming file, line and column."""
    parser = Parser(tokenize(text, file), file)
    try:
        return parser.parse_file()
    except RecursionError:  # a backstop: MAX_DEPTH keeps well inside Python's limit
        raise parser.error(f"nesting deeper than {MAX_DEPTH} levels; not parsed") from None
