"""Bicep without the Bicep CLI: a lexer, a parser and an evaluator of our own.

:class:`~aigov.sources.bicep.source.BicepSource` is the source; the modules
are ``lexer`` (tokens), ``parser`` (syntax tree in ``ast``), ``evaluate``
(values, loops, conditions, modules) and ``functions`` (the ARM functions).
"""
