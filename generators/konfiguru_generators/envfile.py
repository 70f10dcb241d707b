"""Env files (``KEY=value`` lines) read into the data of a Secret: ``konfiguru render --env-file``.

The rules are python-dotenv's (its parser, ``dotenv.parser``), which is what ``.env`` files are
written for (Docker Compose's ``env_file``, most frameworks), not ``docker run --env-file``'s,
which keeps quotes as part of the value:

- ``KEY=value``, optionally ``export KEY=value``; spaces around ``=`` and a trailing
  `` # comment`` after an unquoted value are dropped; ``#`` lines and blank lines are skipped.
- ``'single quotes'`` keep the text as written; ``"double quotes"`` understand ``\\n``, ``\\t``,
  ``\\"`` and ``\\\\`` escapes; a quoted value may span lines (a PEM key).
- No ``${VAR}`` expansion and no bare ``KEY`` (python-dotenv would read this machine's
  environment): the output depends on the file alone.

What a Secret or a container cannot hold is an error naming the file and line, never a silent
change: a line that does not parse, a bare ``KEY``, a key twice, a key that is not a valid Secret
key, a NUL character (no environment variable can carry it), or a file over the Secret size limit.

Pure: the caller (``cli.py``) reads the file and hands over its text. Called by ``cli.py``.
"""

from __future__ import annotations

import io
import re

from dotenv.parser import parse_stream

# The API server's limit for a Secret's data (and an etcd object): 1 MiB.
MAX_BYTES = 1024 * 1024
# A Secret's data key (IsConfigMapKey): what envFrom also accepts as a variable name.
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_KEY_LENGTH = 253


class EnvFileError(ValueError):
    """An env file that cannot become a Secret; the message names the file and line."""


def too_large(where: str, size: str) -> EnvFileError:
    return EnvFileError(
        f"{where}: {size}; a Secret holds at most {MAX_BYTES} bytes (1 MiB): keep large values"
        " in a secret manager (secrets[].external)"
    )


def parse(text: str, where: str) -> dict[str, str]:
    """The variables of an env file's text, in file order; ``where`` names it in errors."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise too_large(where, f"{size} bytes")
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        line = binding.original.line
        if binding.error:
            shown = binding.original.string.splitlines()[0] if binding.original.string else ""
            raise EnvFileError(
                f"{where}:{line}: cannot read {shown[:80]!r}: expected KEY=value"
                " (python-dotenv rules: optional 'export ', quotes, # comments)"
            )
        if binding.key is None:
            continue  # a comment or a blank line
        key = binding.key
        if not _KEY.fullmatch(key) or len(key) > _KEY_LENGTH:
            raise EnvFileError(
                f"{where}:{line}: key {key[:80]!r} is not a valid Secret key: letters, digits,"
                f" '-', '_' and '.', at most {_KEY_LENGTH} characters"
            )
        if binding.value is None:
            raise EnvFileError(
                f"{where}:{line}: {key} has no value; write {key}= for an empty one (a bare"
                " key would take this machine's environment, which the output must not depend on)"
            )
        if key in lines:
            raise EnvFileError(
                f"{where}:{line}: {key} is set twice (first on line {lines[key]}); keep one"
            )
        if "\x00" in binding.value:
            raise EnvFileError(
                f"{where}:{line}: the value of {key} holds a NUL character, which no environment"
                " variable can carry"
            )
        values[key] = binding.value
        lines[key] = line
    return values
