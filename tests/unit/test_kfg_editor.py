"""The editor support for ``.kfg``: the TextMate grammar and the VS Code extension in ``editors/``.

The grammar is generated from the language (``frontends/kfg/textmate.py``), so these tests check
that the committed copy is the generated one, that every pattern is a regular expression an
editor can compile, and, by running the patterns over every example, that what the parser reads
as a block keyword or a key is what the editor colours as one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kfgtest
from konfiguru_generators.frontends.kfg import keywords, syntax, textmate
from konfiguru_generators.frontends.kfg.keywords import ENVIRONMENT_BLOCK, NAMESPACE_DIRECTIVE
from konfiguru_generators.kinds import REGISTRY

EDITORS = kfgtest.ROOT / "editors"
GRAMMAR = EDITORS / "kfg.tmLanguage.json"
KFG_FILES = sorted(kfgtest.EXAMPLES.rglob("*.kfg")) + sorted(
    (kfgtest.ROOT / "tests" / "fixtures" / "kfg").rglob("*.kfg")
)


def _patterns(node: Any) -> Iterator[str]:
    """Every regular expression in a TextMate grammar (match, begin, end)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("match", "begin", "end") and isinstance(value, str):
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


def _rule(name: str) -> dict[str, Any]:
    rule: dict[str, Any] = json.loads(GRAMMAR.read_text("utf-8"))["repository"][name]
    return rule


def test_the_grammar_in_editors_is_the_one_generated_from_the_language(
    update_golden: bool,
) -> None:
    if update_golden:
        GRAMMAR.write_text(textmate.grammar_text(), "utf-8")
    assert GRAMMAR.read_text("utf-8") == textmate.grammar_text(), (
        "editors/kfg.tmLanguage.json is stale: pytest tests/unit/test_kfg_editor.py --update-golden"
    )


def test_every_pattern_compiles_and_uses_only_syntax_oniguruma_shares() -> None:
    patterns = list(_patterns(json.loads(GRAMMAR.read_text("utf-8"))))
    assert len(patterns) > 10
    for pattern in patterns:
        re.compile(pattern)
        # Python-only spellings that Oniguruma (TextMate, VS Code) reads otherwise or not at all.
        for python_only in ("(?P<", "(?P=", r"\Z", "(?#"):
            assert python_only not in pattern, (pattern, python_only)


def test_the_block_keywords_are_the_words_the_compiler_reads() -> None:
    alternation = re.match(r"\^\\s\*\(([^)]*)\)", _rule("header")["match"])
    assert alternation is not None
    words = set(alternation.group(1).split("|"))
    assert words == {*keywords(), NAMESPACE_DIRECTIVE, ENVIRONMENT_BLOCK}
    assert {kind.lower() for kind in REGISTRY} <= words


def test_words_numbers_and_strings_are_the_terminals_of_kfg_lark() -> None:
    header = _rule("header")["match"]
    for name in ("WORD", "BARE", "STRING"):
        assert syntax.parser().get_terminal(name).pattern.to_regexp() in header
    assert _rule("comment")["match"] == syntax.parser().get_terminal("COMMENT").pattern.to_regexp()


def _statements(path: Path) -> Iterator[Any]:
    for statement in syntax.parse(path.read_text("utf-8"), str(path)).statements:
        yield statement
        yield from getattr(statement, "blocks", [])


def _keys(node: Any) -> Iterator[syntax.Entry]:
    if isinstance(node, syntax.Mapping):
        for entry in node.entries:
            yield entry
            yield from _keys(entry.value)
    elif isinstance(node, syntax.ListNode):
        for item in node.items:
            yield from _keys(item)


@pytest.mark.parametrize("path", KFG_FILES, ids=lambda p: p.relative_to(kfgtest.ROOT).as_posix())
def test_an_editor_colours_each_block_keyword_and_key_as_the_parser_reads_them(path: Path) -> None:
    lines = path.read_text("utf-8").split("\n")
    header = re.compile(_rule("header")["match"])
    key = re.compile(_rule("key")["match"])
    comment = re.compile(_rule("comment")["match"])
    checked = 0
    for statement in _statements(path):
        if isinstance(statement, syntax.Block):
            word, position = statement.keyword, statement.keyword_position
        elif isinstance(statement, syntax.Directive):
            word, position = statement.word, statement.word_position
        else:
            word, position = statement.word, statement.keyword_position
        match = header.match(lines[position.line - 1])
        assert match is not None, lines[position.line - 1]
        assert (match.group(1), match.start(1) + 1) == (word, position.column)
        for entry in _keys(getattr(statement, "body", None)):
            where = entry.key_position
            found = key.match(lines[where.line - 1], where.column - 1)
            assert found is not None, (lines[where.line - 1], entry.key)
            assert found.start(1) == where.column - 1
            checked += 1
    assert checked > 0
    for line in lines:
        if line.lstrip().startswith("#"):
            assert comment.search(line)


def test_the_vs_code_extension_points_at_files_that_exist() -> None:
    manifest = json.loads((EDITORS / "package.json").read_text("utf-8"))
    contributes = manifest["contributes"]
    (language,) = contributes["languages"]
    (grammar,) = contributes["grammars"]
    assert language["extensions"] == [".kfg"]
    assert grammar["language"] == language["id"]
    assert grammar["scopeName"] == textmate.SCOPE == json.loads(GRAMMAR.read_text())["scopeName"]
    referenced = [
        language["configuration"],
        grammar["path"],
        *(entry["url"] for entry in contributes["yamlValidation"]),
    ]
    for relative in referenced:
        assert (EDITORS / relative).is_file(), relative
    configuration = json.loads((EDITORS / language["configuration"]).read_text("utf-8"))
    assert configuration["comments"]["lineComment"] == "#"
