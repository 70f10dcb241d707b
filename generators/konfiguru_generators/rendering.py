"""Turn one template plus a context into one Kubernetes object.

One Jinja2 environment for the package's templates (``templates/<kind>/<object>.yaml.j2``, one
object per template) and, when a user passes ``--templates DIR``, a sandboxed one that looks in
that directory first. Every value enters a template through ``tojson``: JSON is YAML, so quoting
is always right (``yes``, ``0123``, ``a: b`` and ``#x`` stay strings). The text is parsed back
with the C YAML loader.

Called by the per-kind renderers (``kinds/*/render.py``).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox
import yaml

try:
    _Loader: type[Any] = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML wheels ship libyaml on our platforms
    _Loader = yaml.SafeLoader

# libyaml refuses these characters raw in a document ("special characters are not allowed"),
# and json.dumps(ensure_ascii=False) leaves them raw; \u escapes are valid in YAML double quotes.
_UNSAFE_FOR_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def tojson(value: Any) -> str:
    """JSON text for any value, safe to embed anywhere in a YAML document."""
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "), allow_nan=False)
    return _UNSAFE_FOR_YAML.sub(_escape, text)


def _configure(env: jinja2.Environment) -> jinja2.Environment:
    env.filters["tojson"] = tojson
    return env


@lru_cache(maxsize=1)
def package_environment() -> jinja2.Environment:
    """The environment for the templates shipped with the package (compiled once, cached)."""
    return _configure(
        jinja2.Environment(
            loader=jinja2.PackageLoader("konfiguru_generators", "templates"),
            undefined=jinja2.StrictUndefined,
            # YAML, not HTML: every value is escaped by tojson instead.
            autoescape=False,  # noqa: S701
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
    )


@lru_cache(maxsize=8)
def override_environment(directory: str) -> jinja2.Environment:
    """A sandboxed environment: templates in ``directory`` win, the package's fill the rest.

    User templates are untrusted code: the sandbox stops them reaching Python internals.
    """
    return _configure(
        jinja2.sandbox.ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader(
                [
                    jinja2.FileSystemLoader(str(Path(directory))),
                    jinja2.PackageLoader("konfiguru_generators", "templates"),
                ]
            ),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )


class TemplateError(Exception):
    """A template (ours or a user's override) did not produce exactly one mapping."""


def render_object(
    template: str, context: dict[str, Any], templates_dir: str | None = None
) -> dict[str, Any]:
    """Render ``template`` (a path like ``app/deployment.yaml.j2``) to one object."""
    env = override_environment(templates_dir) if templates_dir else package_environment()
    try:
        text = env.get_template(template).render(context)
    except jinja2.TemplateError as error:
        raise TemplateError(f"{template}: {error}") from error
    try:
        obj = yaml.load(text, Loader=_Loader)  # noqa: S506 - CSafeLoader is the safe loader
    except yaml.YAMLError as error:
        raise TemplateError(f"{template} produced invalid YAML: {error}") from error
    if not isinstance(obj, dict):
        raise TemplateError(f"{template} must produce one mapping, got {type(obj).__name__}")
    return obj
