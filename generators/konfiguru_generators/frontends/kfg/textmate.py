"""A TextMate grammar of ``.kfg`` (syntax highlighting in VS Code, Sublime, JetBrains, GitHub).

Built from the language itself so the two cannot drift: the words, numbers and strings are the
terminals of ``kfg.lark`` (its ``WORD``, ``BARE``, ``STRING`` and ``COMMENT`` patterns), the
block keywords are :func:`keywords.keywords` (every registered kind included) plus the
``namespace`` and ``env`` words the compiler reads, and ``true``/``false``/``null`` and the number
forms are the ones ``syntax.py`` reads as such. The copy in ``editors/kfg.tmLanguage.json`` (with
``editors/package.json``, a VS Code extension) is kept equal to :func:`grammar_text` by
``tests/unit/test_kfg_editor.py`` (``--update-golden`` rewrites it).

Called by that test only. Pure: data out, no I/O.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .keywords import ENVIRONMENT_BLOCK, NAMESPACE_DIRECTIVE, keywords
from .syntax import _FLOAT, _INTEGER, _WORDS, parser

SCOPE = "source.kfg"


def terminal(name: str) -> str:
    """A terminal of ``kfg.lark`` as a regular expression (Python and Oniguruma read it alike)."""
    pattern: str = parser().get_terminal(name).pattern.to_regexp()
    return pattern


def block_words() -> list[str]:
    """Every word that opens a block or directive, longest first (so ``datapipeline`` wins
    over a shorter prefix in an alternation)."""
    words = {*keywords(), NAMESPACE_DIRECTIVE, ENVIRONMENT_BLOCK}
    return sorted(words, key=lambda word: (-len(word), word))


def _number() -> str:
    # syntax.py reads a BARE token as an int or float when these match it whole; drop their \Z.
    forms = [_INTEGER.pattern.removesuffix(r"\Z"), _FLOAT.pattern.removesuffix(r"\Z")]
    return "(?<![A-Za-z0-9_.\\-/=@])(?:" + "|".join(forms) + ")(?![A-Za-z0-9_.%+\\-])"


def grammar() -> dict[str, Any]:
    """The grammar as a JSON-ready dict (tmLanguage JSON, the form VS Code loads)."""
    word, bare, string = terminal("WORD"), terminal("BARE"), terminal("STRING")
    name = f"(?:{word}|{bare}|{string})"
    keyword = "|".join(re.escape(word) for word in block_words())
    constants = "|".join(sorted(_WORDS))
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "Konfiguru",
        "scopeName": SCOPE,
        "fileTypes": ["kfg"],
        "comment": "Generated from kfg.lark and the kind registry by "
        "konfiguru_generators/frontends/kfg/textmate.py; do not edit by hand.",
        "patterns": [{"include": "#comment"}, {"include": "#header"}, {"include": "#body"}],
        "repository": {
            "comment": {"name": "comment.line.number-sign.kfg", "match": terminal("COMMENT")},
            "header": {
                "comment": "`service api {`, `namespace shop`, `env prod {`: a block keyword "
                "at the start of a line, then the block's name",
                "match": f"^\\s*({keyword})\\s+({name})",
                "captures": {
                    "1": {"name": "keyword.control.block.kfg"},
                    "2": {"name": "entity.name.type.kfg"},
                },
            },
            "body": {
                "patterns": [
                    {"include": "#comment"},
                    {"include": "#key"},
                    {"include": "#string"},
                    {"include": "#constant"},
                    {"include": "#number"},
                    {"include": "#bare"},
                    {"include": "#punctuation"},
                ]
            },
            "key": {
                "comment": "`key:` and `key {`: a field name",
                "match": f"({word}|{bare}|{string})\\s*(?=:|\\{{)",
                "captures": {"1": {"name": "variable.other.property.kfg"}},
            },
            "string": {
                "name": "string.quoted.double.kfg",
                "begin": '"',
                "end": '"|$',
                "patterns": [
                    {
                        "name": "constant.character.escape.kfg",
                        "match": '\\\\(?:["\\\\/bfnrt]|u[0-9a-fA-F]{4})',
                    },
                    {"name": "invalid.illegal.escape.kfg", "match": "\\\\."},
                ],
            },
            "constant": {
                "name": "constant.language.kfg",
                "match": f"(?<![A-Za-z0-9_.\\-/=@])(?:{constants})(?![A-Za-z0-9_.\\-/=@])",
            },
            "number": {"name": "constant.numeric.kfg", "match": _number()},
            "bare": {
                "comment": "500m, 100GB, 8h: a bare token that is not a number (a quantity...)",
                "name": "constant.numeric.other.kfg",
                "match": bare,
            },
            "punctuation": {
                "patterns": [
                    {"name": "punctuation.section.block.kfg", "match": "[{}]"},
                    {"name": "punctuation.section.list.kfg", "match": "[\\[\\]]"},
                    {"name": "punctuation.separator.key-value.kfg", "match": ":"},
                    {"name": "punctuation.separator.comma.kfg", "match": ","},
                ]
            },
        },
    }


def grammar_text() -> str:
    """The grammar as the file ``editors/kfg.tmLanguage.json`` holds it."""
    return json.dumps(grammar(), indent=2, ensure_ascii=False) + "\n"


__all__ = ["SCOPE", "block_words", "grammar", "grammar_text", "terminal"]
