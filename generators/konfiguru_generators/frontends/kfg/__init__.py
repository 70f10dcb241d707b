"""The ``.kfg`` language: a front end that compiles blocks to Konfiguru resources.

    load(text, source)      -> list[SourceDocument]   (konfiguru compile/render/validate)
    format_text(text, source) -> str                  (konfiguru fmt)
    convert(resources)      -> str                    (konfiguru convert: YAML to .kfg)

The language is documented in ``kfg.lark`` (the syntax) and ``compiler.py`` (how blocks and
keys map to the CRDs, and the human sugar). Stages, one module each: ``syntax.py`` (lark and the
transformer), ``compiler.py`` (the tree read against the CRD schemas), ``printer.py`` (the
canonical layout), ``convert.py`` (resources back to a tree), ``keywords.py`` (block keywords).

Called by the CLI through ``frontends.FRONT_ENDS``. Pure: text in, data out, no I/O.
"""

from __future__ import annotations

from .. import SourceDocument
from .compiler import compile_file
from .convert import ConvertError, convert
from .keywords import keywords
from .printer import format_file
from .syntax import parse

SUFFIX = ".kfg"


def load(text: str, source: str) -> list[SourceDocument]:
    """The resources of one ``.kfg`` file; FrontEndError lists every problem, located."""
    return compile_file(parse(text, source), source)


def format_text(text: str, source: str) -> str:
    """The file in the canonical layout, comments kept; FrontEndError on a syntax error."""
    return format_file(parse(text, source))


__all__ = ["SUFFIX", "ConvertError", "convert", "format_text", "keywords", "load"]
