"""The ``konfiguru`` command: render and validate Konfiguru resources offline, print the CRDs.

    konfiguru render   -f FILE|DIR|- [-o DIR] [--kube-version 1.33] [--templates DIR]
                       [--env-file NAME=PATH --secret-seed-file SEED]
                       [--ingress-controller nginx|traefik|gateway]
    konfiguru validate -f FILE|DIR|-
    konfiguru crds                         # built-in kinds' and plugins' CRDs
    konfiguru plugins                      # installed plugins: name, version, kinds, status
    konfiguru diff     -f SRC              # against the cluster (needs the `operator` extra)
    konfiguru diff     --offline OLD NEW [-f PATH] [--format text|markdown]
    konfiguru graph    -f SRC [-o graph.svg|graph.mmd]
    konfiguru export   --format kustomize -f SRC -o DIR [--env NAME]
    konfiguru compile  FILE.kfg|DIR|- ...  # .kfg to the resources as YAML
    konfiguru fmt      FILE.kfg|DIR ... [--check]
    konfiguru convert  -f FILE|DIR|-       # resources (YAML) to .kfg
    konfiguru schema                       # JSON schema of the YAML form, for editors

Every command that reads resources reads ``*.kfg.yaml``/``*.yaml`` and ``*.kfg`` files (the
``.kfg`` language, ``frontends/kfg``); errors in a ``.kfg`` file are shown at ``file:line:column``.
In a directory, ``NAME.kfg`` next to ``NAME.kfg.yaml`` (its compiled form, what Argo CD applies) is
skipped, so a directory holding both renders each resource once; name the ``.kfg`` file to use it.
A Python module written with the ``konfiguru`` DSL (``-f app.py``, ``frontends/python.py``) is
read like a file of resources, but only when named: a directory's ``.py`` files are never run.

The edge of the generators: the only module here that reads user files, writes output and reads
the environment. Bad input ends with every error printed and exit code 1, never a traceback.

Generated Secrets offline: a GitOps repository must never hold random values that change on
every render, nor values anyone could derive from the public spec. So ``render`` leaves generated
Secrets out (and says so on stderr) unless it is given a private seed with ``--secret-seed-file``
or ``KONFIGURU_SECRET_SEED``; with a seed, values are derived by HMAC and identical on every
render. In a cluster the operator creates them once and keeps them. The same holds for a Secret
filled from an env file (``--env-file``): refused without a seed, which is how a user says the
output holds secret values (to apply, never to commit); otherwise the values belong in a secret
manager, read through ``secrets[].external`` (an ExternalSecret).

``--ingress-controller`` (or ``KONFIGURU_INGRESS_CONTROLLER``) is the controller of every ingress
that names none (``spec.ingress.controller``); the operator reads the same variable, so both
render the same children.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from . import (
    collisions,
    editor_schema,
    envfile,
    exports,
    graph,
    pipeline,
    plan,
    plugins,
    policy,
    yamltext,
)
from . import environments as environments_mod
from .errors import SpecError
from .frontends import EXPLICIT_FRONT_ENDS, FRONT_ENDS, FrontEndError, SourceDocument, kustomization
from .frontends import kfg as kfg_language
from .kinds import REGISTRY
from .model import Existing
from .rendering import TemplateError
from .resources import PLUGIN_GROUP

SEED_ENV = "KONFIGURU_SECRET_SEED"
INGRESS_CONTROLLER_ENV = "KONFIGURU_INGRESS_CONTROLLER"
_YAML_SUFFIXES = (".kfg.yaml", ".kfg.yml", ".yaml", ".yml")
_SUFFIXES = (*_YAML_SUFFIXES, *FRONT_ENDS)


@dataclass(frozen=True)
class Document:
    """One YAML document from the input, with where it came from for error messages."""

    source: str
    index: int
    body: Any
    # Set for a resource written in another language (.kfg): where each field was written.
    origin: SourceDocument | None = None
    # A file of an environments directory's envs/<name>/: a patch, merged only with --env.
    patch: bool = False

    @property
    def environment(self) -> str | None:
        """The environment a ``.kfg`` ``env`` block patches (None: a resource of every one)."""
        return self.origin.environment if self.origin is not None else None

    @property
    def where(self) -> str:
        if self.origin is not None:
            return str(self.origin.position)
        return f"{self.source}#{self.index + 1}" if self.index else self.source

    def spec_error(self, error: SpecError) -> str:
        """The error's lines: each field error at its source position when known."""
        if self.origin is None or not error.errors:
            return f"{self.where}: {error.message}\n"
        head = f"{error.resource}: " if error.resource else ""
        return "".join(
            f"{self.origin.locate(field.path)}: {head}{field}\n" for field in error.errors
        )


class InputError(Exception):
    """Input that is not readable YAML; the message says where."""


def _environment_patch(path: Path, root: Path) -> bool:
    """Whether ``path`` lies in the ``envs/`` of an environments directory below ``root``: those
    are partial resources, read only for ``--env`` (``read_documents``)."""
    for parent in path.relative_to(root).parents:
        here = root / parent
        if here.name == "envs" and (here.parent / "base").is_dir():
            return True
    return False


def _input_files(target: str) -> list[Path]:
    path = Path(target)
    if path.is_dir():
        files = [
            p
            for p in sorted(path.rglob("*"))
            if p.is_file() and p.name.endswith(_SUFFIXES) and not _environment_patch(p, path)
        ]
        if not files:
            raise InputError(f"{target}: no *.kfg.yaml, *.yaml or *.kfg files in this directory")
        return [p for p in files if not _compiled_twin(p)]
    if not path.exists():
        raise InputError(f"{target}: no such file or directory")
    return [path]


def _compiled_twin(path: Path) -> bool:
    """``NAME.kfg`` beside ``NAME.kfg.yaml``, its compiled form (``konfiguru compile``)."""
    if not path.name.endswith(".kfg"):
        return False
    return any(path.with_name(path.name + suffix).is_file() for suffix in (".yaml", ".yml"))


def _load(text: str, source: str) -> Iterator[Document]:
    # A directory walk (_input_files) lists FRONT_ENDS suffixes only, so a .py gets here only
    # when named on the command line.
    for suffix, load in {**FRONT_ENDS, **EXPLICIT_FRONT_ENDS}.items():
        if source.endswith(suffix):
            for index, document in enumerate(load(text, source)):
                yield Document(source, index, document.body, document)
            return
    try:
        bodies = yamltext.load_all(text, source)
    except yamltext.YAMLInputError as error:
        raise InputError(str(error)) from error
    for index, body in enumerate(bodies):
        if body is not None:
            yield Document(source, index, body)


def _read_files(target: str) -> list[Document]:
    """The documents of a file or directory; of a directory with ``base/``, those of ``base/``
    (its ``envs/`` hold patches, read by ``read_documents`` for ``--env``); of a kustomization
    directory, the resources ``kubectl kustomize`` builds from it (``frontends/kustomization``)."""
    root = Path(target)
    if (root / "base").is_dir():
        root = root / "base"
    if root.is_dir() and kustomization.kustomization_file(root) is not None:
        try:
            text = kustomization.build(root)
        except kustomization.KustomizeError as error:
            raise InputError(str(error)) from error
        return list(_load(text, f"{root} (kubectl kustomize)"))
    return [
        document for path in _input_files(str(root)) for document in _load(_read(path), str(path))
    ]


def environments(target: str) -> list[str]:
    """The environments a source defines: the ``envs/<name>/`` of a ``base/`` + ``envs/``
    directory, and the ``env <name> { ... }`` blocks of its ``.kfg`` files."""
    if target == "-":
        return []
    found = {document.environment for document in _read_files(target)}
    return sorted({env for env in found if env} | _directory_environments(target))


def _directory_environments(target: str) -> set[str]:
    """The ``envs/<name>/`` of a ``base/`` + ``envs/`` directory."""
    envs = Path(target) / "envs"
    if target == "-" or not (Path(target) / "base").is_dir() or not envs.is_dir():
        return set()
    return {path.name for path in envs.iterdir() if path.is_dir()}


def read_documents(targets: Sequence[str], stdin: TextIO, env: str | None = None) -> list[Document]:
    """Every resource of the targets. A directory with ``base/`` gives its base resources; with
    ``env``, the environment's patches are merged in (``environments.py``): the files of
    ``envs/<env>/`` and the ``env <env> { ... }`` blocks of ``.kfg`` files."""
    resources: list[Document] = []
    patches: list[Document] = []
    known: set[str] = set()  # every environment the targets define, for the error below
    for target in targets:
        read = list(_load(stdin.read(), "<stdin>")) if target == "-" else _read_files(target)
        directories = _directory_environments(target)
        known |= directories | {d.environment for d in read if d.environment}
        if env in directories:
            read += [replace(d, patch=True) for d in _read_files(str(Path(target, "envs", env)))]
        for document in read:
            if document.environment is None and not document.patch:
                resources.append(document)
            elif document.patch or document.environment == env:
                patches.append(document)
    if not env:
        return resources
    if env not in known:
        where = ", ".join(targets)
        if not known:
            raise InputError(
                f"{where}: --env {env} needs a directory with base/ and envs/{env}/,"
                f" or env {env} {{ ... }} blocks in .kfg files"
            )
        layout = "envs/" if any((Path(t) / "base").is_dir() for t in targets) else "env blocks"
        there = ", ".join(sorted(known))
        raise InputError(f"{where}: no environment {env!r} in {layout} (there: {there})")
    try:
        merged = environments_mod.apply(
            [environments_mod.Source(d.where, d.body, d.origin) for d in resources],
            [environments_mod.Source(d.where, d.body, d.origin) for d in patches],
            env,
        )
    except environments_mod.PatchError as error:
        raise InputError(str(error)) from error
    return [Document(source.where, 0, source.body, source.origin) for source in merged]


def _seed(args: argparse.Namespace) -> bytes | None:
    if args.secret_seed_file:
        try:
            return Path(args.secret_seed_file).read_bytes().strip() or None
        except OSError as error:
            raise InputError(f"{args.secret_seed_file}: cannot read the seed: {error}") from error
    value = os.environ.get(SEED_ENV, "")
    return value.encode() or None


def _dump(objects: Sequence[dict[str, Any]]) -> str:
    return yamltext.dump_all(objects)


def _output_names(objects: Sequence[dict[str, Any]]) -> list[str]:
    try:
        return collisions.file_names(objects)
    except ValueError as error:
        raise InputError(str(error)) from error


def _render_all(
    documents: Sequence[Document],
    args: argparse.Namespace,
    err: TextIO,
    provided: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Every object of every document, in input order, and how many documents failed."""
    results, failures = _render_each(documents, args, err, provided)
    return [obj for result in results for obj in result.children], failures


def _render_each(
    documents: Sequence[Document],
    args: argparse.Namespace,
    err: TextIO,
    provided: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[list[exports.Rendered], int]:
    """Each document that renders, with its children; errors and notes are written to ``err``.
    ``provided``: Secret values from env files (``render --env-file``), by Secret name."""
    existing = Existing(secret_seed=_seed(args), provided_secrets=provided or {})
    if args.templates:
        _check_templates(args.templates)
    objects: list[exports.Rendered] = []
    failures = 0
    # Two resources rendered together must not both write one object (an App and a Database
    # both named "shared" each make a Service "shared"): the later one fails, naming both.
    registry = collisions.Registry()
    for document in documents:
        _front_end_notes(document, err)
        try:
            rendered, notes = pipeline.render_with_notes(
                document.body,
                existing,
                templates_dir=args.templates,
                kube_version=args.kube_version,
                ingress_controller=args.ingress_controller,
            )
        except SpecError as error:
            failures += 1
            err.write(document.spec_error(error))
            continue
        except TemplateError as error:
            failures += 1
            err.write(f"{document.where}: template error: {error}\n")
            continue
        owner = f"{collisions.describe(document.body)} ({document.where})"
        clashes = registry.add(owner, rendered)
        if clashes:
            failures += 1
            err.writelines(f"{document.where}: {clash}\n" for clash in clashes)
            continue
        objects.append(exports.Rendered(document.body, rendered))
        for note in notes:
            err.write(f"{document.where}: note: {note}\n")
    return objects, failures


def _check_templates(directory: str) -> None:
    """A template directory that is missing, or holds a file no kind reads, is an error: an
    override or added template silently ignored would look like it worked."""
    if not Path(directory).is_dir():
        raise InputError(f"--templates {directory}: no such directory")
    problems = pipeline.check_templates_dir(directory)
    if problems:
        raise InputError("\n".join(problems))


def _front_end_notes(document: Document, err: TextIO) -> None:
    """What a front end read differently from how it was written (``100GB`` as ``100G``)."""
    if document.origin is not None:
        err.writelines(f"{note.position}: note: {note.message}\n" for note in document.origin.notes)


def cmd_compile(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """The resources a ``.kfg`` file (or any input) defines, defaults not applied, as YAML.

    Each resource is also validated (CRD schema and the semantic checks, as ``validate`` does
    without rendering), so what is committed to Git is what ``kubectl apply`` accepts.
    """
    documents = read_documents(args.filename, stdin)
    failures = 0
    for document in documents:
        _front_end_notes(document, err)
        try:
            pipeline.validate(document.body)
        except SpecError as error:
            failures += 1
            err.write(document.spec_error(error))
    if failures:
        return 1
    out.write(_dump([document.body for document in documents]))
    return 0


def cmd_fmt(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Rewrite ``.kfg`` files in the canonical layout; ``--check`` only lists what would change."""
    changed: list[Path] = []
    for target in args.filename:
        root = Path(target)
        # Every .kfg file, also those a render skips for their compiled twin.
        paths = sorted(root.rglob(f"*{kfg_language.SUFFIX}")) if root.is_dir() else [root]
        if not paths:
            raise InputError(f"{target}: no *.kfg files")
        for path in paths:
            text = _read(path)
            formatted = kfg_language.format_text(text, str(path))
            if formatted != text:
                changed.append(path)
                if not args.check:
                    path.write_text(formatted, "utf-8")
    for path in changed:
        out.write(f"{'would reformat' if args.check else 'formatted'} {path}\n")
    return 1 if args.check and changed else 0


def cmd_convert(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Resources written as YAML to one ``.kfg`` text (the file's leading comments kept)."""
    header: list[str] = []
    documents: list[Document] = []
    for target in args.filename:
        texts = [("<stdin>", stdin.read())] if target == "-" else []
        texts += [(str(p), _read(p)) for p in ([] if target == "-" else _input_files(target))]
        for source, text in texts:
            if source.endswith(tuple(FRONT_ENDS)):
                raise InputError(f"{source}: already .kfg; convert reads YAML")
            header += _leading_comments(text)
            documents.extend(_load(text, source))
    try:
        out.write(kfg_language.convert([document.body for document in documents], header))
    except kfg_language.ConvertError as error:
        raise InputError(str(error)) from error
    return 0


def _leading_comments(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line[1:].removeprefix(" "))
    return lines


def _read(path: Path) -> str:
    try:
        return path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read: {error}") from error


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    out.write(editor_schema.schema_text())
    return 0


def _referenced_secrets(documents: Sequence[Document]) -> dict[str, dict[str, Any]]:
    """Every Secret an App of the input references in ``secrets[]``, by name (the entry)."""
    found: dict[str, dict[str, Any]] = {}
    for document in documents:
        body = document.body
        if not isinstance(body, dict) or body.get("kind") != "App":
            continue
        for entry in (body.get("spec") or {}).get("secrets") or []:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                found.setdefault(entry["name"], entry)
    return found


def _env_files(
    specs: Sequence[str], documents: Sequence[Document], seed: bytes | None, err: TextIO
) -> dict[str, dict[str, str]]:
    """``--env-file NAME=PATH``: the values of each env file, by the Secret name they fill.

    Refused without a seed: the output then holds secret values in clear, and only a render the
    user marked as holding secret values (``--secret-seed-file``, as for generated Secrets) may."""
    if not specs:
        return {}
    if seed is None:
        raise InputError(
            "--env-file puts the file's values into the output in clear, and rendered output"
            " tends to end up in Git: pass --secret-seed-file (or set"
            f" {SEED_ENV}) to say this output holds secret values (apply it, never commit it),"
            " or keep the values in a secret manager and read them with secrets[].external"
            " (an ExternalSecret)"
        )
    referenced = _referenced_secrets(documents)
    provided: dict[str, dict[str, str]] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise InputError(f"--env-file {spec!r}: expected NAME=PATH, e.g. payments=./.env")
        entry = referenced.get(name)
        if entry is None:
            known = ", ".join(sorted(referenced)) or "none"
            raise InputError(
                f"--env-file {name}={path}: no App of the input reads a Secret {name!r} in"
                f" spec.secrets (names there: {known})"
            )
        for source in ("generate", "external"):
            if source in entry:
                raise InputError(
                    f"--env-file {name}={path}: spec.secrets entry {name!r} has {source}: its"
                    " values come from there; an env file fills an entry without generate or"
                    " external"
                )
        if name in provided:
            raise InputError(f"--env-file {name}: given twice")
        try:
            with Path(path).open("rb") as handle:
                raw = handle.read(envfile.MAX_BYTES + 1)
        except OSError as error:
            raise InputError(f"--env-file {name}={path}: cannot read it: {error}") from error
        try:
            if len(raw) > envfile.MAX_BYTES:
                raise envfile.too_large(path, f"more than {envfile.MAX_BYTES} bytes")
            provided[name] = envfile.parse(raw.decode("utf-8"), path)
        except UnicodeDecodeError as error:
            raise InputError(
                f"{path}: not UTF-8 text (byte {error.start}); an env file is text"
            ) from error
        except envfile.EnvFileError as error:
            raise InputError(str(error)) from error
        err.write(
            f"note: Secret {name} holds the values of {path} in clear: apply this output,"
            " never commit it\n"
        )
    return provided


def cmd_render(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    documents = read_documents(args.filename, stdin, args.env)
    provided = _env_files(args.env_file or [], documents, _seed(args), err)
    objects, failures = _render_all(documents, args, err, provided)
    if failures:
        return 1
    if args.output_dir:
        root = Path(args.output_dir)
        files = _output_names(objects)
        for obj, name in zip(objects, files, strict=True):
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_dump([obj]), "utf-8")
        err.write(f"wrote {len(files)} objects to {root}\n")
    else:
        out.write(_dump(objects))
    return 0


def _policy_checks(path: str) -> list[policy.Check]:
    documents = _read_files(path)
    if len(documents) != 1:
        raise InputError(f"{path}: a policy file holds one Policy document")
    try:
        return policy.compile_policy(documents[0].body)
    except SpecError as error:
        raise InputError(f"{path}: {error.message}") from error


def _policy_failures(
    documents: Sequence[Document],
    checks: Sequence[policy.Check],
    err: TextIO,
    ingress_controller: str | None,
) -> int:
    """Documents that break the policy (evaluated on the defaulted resource, as at admission)."""
    failures = 0
    for document in documents:
        try:
            resource = pipeline.validate(document.body, ingress_controller=ingress_controller)[1]
        except SpecError:
            continue  # already reported by the render
        found = policy.violations(checks, resource)
        if found:
            failures += 1
            err.writelines(f"{document.where}: policy {v.rule}: {v.message}\n" for v in found)
    return failures


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    documents = read_documents(args.filename, stdin, args.env)
    objects, failures = _render_all(documents, args, err)
    if args.policy:
        failures += _policy_failures(
            documents, _policy_checks(args.policy), err, args.ingress_controller
        )
    if failures:
        err.write(f"{failures} of {len(documents)} resources are invalid\n")
        return 1
    out.write(f"{len(documents)} resources valid ({len(objects)} objects)\n")
    return 0


def cmd_crds(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    texts = [definition.crd_text() for definition in REGISTRY.values()]
    out.write(
        "---\n" + "---\n".join(text if text.endswith("\n") else text + "\n" for text in texts)
    )
    return 0


def cmd_plugins(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """The installed plugins as a table; exit 1 when one cannot be used (each error below)."""
    statuses = REGISTRY.plugin_statuses()
    if not statuses:
        out.write(f"no plugins installed (entry point group {PLUGIN_GROUP})\n")
        return 0
    rows = [("NAME", "VERSION", "KINDS", "STATUS", "PACKAGE")] + [
        (
            status.name or status.entry_point,
            status.version or "?",
            ",".join(status.kinds) or "?",
            "ok" if status.ok else "error",
            status.distribution or "?",
        )
        for status in statuses
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    for row in rows:
        out.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        out.write("\n")
    problems = plugins.warnings(statuses)
    err.writelines(f"error: {problem}\n" for problem in problems)
    return 1 if problems else 0


# ---- diff and graph ------------------------------------------------------------------------------

# Offline plans render generated Secrets with this fixed seed, so a change to one shows; their
# values never leave the plan (every Secret value is masked in its output).
_PLAN_SEED = b"konfiguru-plan"


def owned(documents: Sequence[Document], args: argparse.Namespace) -> list[plan.Owned]:
    """Each document rendered as the plan's unit: a resource and its children, or its error."""
    existing = Existing(secret_seed=_PLAN_SEED)
    result: list[plan.Owned] = []
    for document in documents:
        body = document.body if isinstance(document.body, dict) else {}
        owner = plan.owner_name(body) if body else document.where
        try:
            children = pipeline.render(
                document.body,
                existing,
                templates_dir=args.templates,
                kube_version=args.kube_version,
                ingress_controller=args.ingress_controller,
            )
        except (SpecError, TemplateError) as error:
            message = error.message if isinstance(error, SpecError) else f"template: {error}"
            result.append(plan.Owned(owner, [], body, f"{document.where}: {message}"))
            continue
        result.append(plan.Owned(owner, children, body))
    return result


def _git_documents(revision: str, paths: Sequence[str]) -> list[Document]:
    """The documents under ``paths`` as they are at a git revision of the enclosing repository."""
    from dulwich.errors import NotGitRepository
    from dulwich.object_store import iter_tree_contents
    from dulwich.objects import Blob, Tree
    from dulwich.repo import Repo

    try:
        repo = Repo.discover(".")
    except NotGitRepository as error:
        raise InputError(
            f"{revision}: not a path, and {Path.cwd()} is not in a git repository"
        ) from error
    with repo:
        try:
            commit = _resolve(repo, revision)
        except (KeyError, ValueError, IndexError) as error:
            raise InputError(f"{revision}: neither a path nor a git revision") from error
        root = Path(repo.path).resolve()
        tree = repo[commit.tree]
        assert isinstance(tree, Tree)
        documents: list[Document] = []
        for target in paths:
            try:
                prefix = Path(target).resolve().relative_to(root).as_posix()
            except ValueError as error:
                raise InputError(f"{target}: outside the git repository {root}") from error
            prefix = "" if prefix == "." else prefix
            found = False
            for entry in sorted(
                iter_tree_contents(repo.object_store, tree.id), key=lambda e: e.path
            ):
                name = entry.path.decode("utf-8", "replace")
                inside = not prefix or name == prefix or name.startswith(prefix + "/")
                if not inside or (name != prefix and not name.endswith(_SUFFIXES)):
                    continue
                blob = repo[entry.sha]
                assert isinstance(blob, Blob)
                found = True
                try:
                    text = blob.data.decode("utf-8")
                except UnicodeDecodeError as error:
                    raise InputError(f"{revision}:{name}: cannot read: {error}") from error
                documents.extend(_load(text, f"{revision}:{name}"))
            if not found:
                raise InputError(f"{revision}:{prefix or '.'}: no *.kfg.yaml or *.yaml files")
        return documents


def _resolve(repo: Any, revision: str) -> Any:
    """A commit from a revision: a name or id dulwich knows, then ``~N`` / ``^N`` steps."""
    from dulwich import objectspec

    match = re.fullmatch(r"(.+?)((?:[~^]\d*)*)", revision)
    if match is None:
        raise ValueError(revision)
    commit = objectspec.parse_commit(repo, match[1].encode())
    for op, count in re.findall(r"([~^])(\d*)", match[2]):
        steps = int(count) if count else 1
        if op == "~":
            for _ in range(steps):
                commit = repo[commit.parents[0]]
        elif steps:
            commit = repo[commit.parents[steps - 1]]
    return commit


def _source(
    source: str, paths: Sequence[str], stdin: TextIO, env: str | None = None
) -> list[Document]:
    """A path (file, directory, ``-``) or else a git revision (with the ``-f`` paths in it)."""
    if source == "-" or Path(source).exists():
        return read_documents([source], stdin, env)
    if env:
        raise InputError(f"{source}: --env is not supported for git revisions yet")
    return _git_documents(source, paths or ["."])


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Exit 0: no change; 1: changes; 2: an error (as ``kubectl diff``)."""
    if not args.offline:
        if not args.filename:
            err.write("error: konfiguru diff needs -f SRC (or --offline OLD NEW)\n")
            return 2
        return _exec_operator_module("konfiguru_operator.livediff", args.live_args, err)
    old, new = args.offline
    before = owned(_source(old, args.filename or [], stdin, args.env), args)
    after = owned(_source(new, args.filename or [], stdin, args.env), args)
    result = plan.plan(before, after, sides=(old, new))
    out.write(plan.markdown(result) if args.format == "markdown" else plan.text(result))
    if result.errors:
        return 2
    return 1 if result.changed else 0


def cmd_export(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """Every resource, and each environment of the sources, in another format's files."""
    base, failures = _render_each(read_documents(args.filename, stdin), args, err)
    names = (
        [args.env]
        if args.env
        else sorted({env for target in args.filename for env in environments(target)})
    )
    envs: dict[str, list[exports.Rendered]] = {}
    for env in names:
        rendered, failed = _render_each(read_documents(args.filename, stdin, env), args, err)
        envs[env] = rendered
        failures += failed
    if failures:
        return 1
    files = exports.FORMATS[args.format](exports.Bundle(base, envs))
    root = Path(args.output_dir)
    for name, text in sorted(files.items()):
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, "utf-8")
    where = f" and {len(envs)} environments ({', '.join(envs)})" if envs else ""
    err.write(
        f"wrote {len(files)} {args.format} files for {len(base)} resources{where} to {root}\n"
    )
    return 0


def cmd_policy_export(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    """The policy as ValidatingAdmissionPolicy objects: the API server runs the same CEL."""
    objects = policy.admission_objects(_policy_checks(args.policy_file), args.name)
    out.write(_dump(objects))
    return 0


def cmd_graph(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    documents = read_documents(args.filename, stdin, args.env)
    resources = [
        (item.resource or {}, item.children) for item in owned(documents, args) if item.resource
    ]
    fmt = args.format or ("svg" if (args.output or "").endswith(".svg") else "mermaid")
    built = graph.build(resources)
    text = graph.svg(built) if fmt == "svg" else graph.mermaid(built)
    if args.output:
        Path(args.output).write_text(text, "utf-8")
        err.write(
            f"wrote {len(built.nodes)} nodes and {len(built.edges)} connections to {args.output}\n"
        )
    else:
        out.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="konfiguru",
        description="Render Konfiguru resources (App, Database, ...) into Kubernetes manifests.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_inputs(sub: argparse.ArgumentParser, required: bool = True) -> None:
        sub.add_argument(
            "-f",
            "--filename",
            action="append",
            required=required,
            help="a file, a directory of *.kfg.yaml / *.yaml files, or - for stdin; repeatable",
        )
        sub.add_argument(
            "--kube-version",
            default=pipeline.DEFAULT_KUBE_VERSION,
            help=f"target Kubernetes version (default {pipeline.DEFAULT_KUBE_VERSION})",
        )
        sub.add_argument("--templates", help="a directory of templates overriding the built-in")
        sub.add_argument(
            pipeline.INGRESS_CONTROLLER_FLAG,
            default=os.environ.get(INGRESS_CONTROLLER_ENV) or None,
            help="controller of every ingress that names none: nginx, traefik or gateway"
            f" (or env {INGRESS_CONTROLLER_ENV}; default nginx)",
        )
        sub.add_argument(
            "--env",
            help="an environment: each -f DIR holds base/ and envs/<env>/, whose partial"
            " resources are merged into base/ (JSON merge patch)",
        )
        sub.add_argument(
            "--secret-seed-file",
            help=f"private seed for generated Secret values (or env {SEED_ENV}); without one,"
            " generated Secrets are left out",
        )

    render = commands.add_parser("render", help="print the manifests for resources")
    with_inputs(render)
    render.add_argument("-o", "--output-dir", help="write one file per object into this directory")
    render.add_argument(
        "--env-file",
        action="append",
        metavar="NAME=PATH",
        help="render the Secret NAME that an App reads (spec.secrets, no generate/external) from"
        " the env file PATH (python-dotenv rules); needs --secret-seed-file, as the output then"
        " holds secret values; repeatable",
    )
    render.set_defaults(func=cmd_render)

    validate = commands.add_parser("validate", help="check resources; exit 1 listing every error")
    with_inputs(validate)
    validate.add_argument(
        "--policy", help="a Policy file: every violation is an error (as at admission)"
    )
    validate.set_defaults(func=cmd_validate)

    policy_cmd = commands.add_parser("policy", help="policies: export for admission")
    policy_commands = policy_cmd.add_subparsers(dest="policy_command", required=True)
    policy_export = policy_commands.add_parser(
        "export", help="print ValidatingAdmissionPolicy objects (CEL run by the API server)"
    )
    policy_export.add_argument("-f", "--policy-file", required=True, help="the Policy file")
    policy_export.add_argument("--name", default="konfiguru", help="prefix of the objects' names")
    policy_export.set_defaults(func=cmd_policy_export)

    crds = commands.add_parser("crds", help="print the CustomResourceDefinitions")
    crds.set_defaults(func=cmd_crds)

    plugins_cmd = commands.add_parser(
        "plugins", help="list installed plugins (name, version, kinds, status); exit 1 if broken"
    )
    plugins_cmd.set_defaults(func=cmd_plugins)

    diff = commands.add_parser(
        "diff",
        help="what a change would do: against the cluster (-f SRC) or between two sources"
        " (--offline OLD NEW); exit 0 no change, 1 changes, 2 error",
    )
    with_inputs(diff, required=False)
    diff.add_argument(
        "--offline",
        nargs=2,
        metavar=("OLD", "NEW"),
        help="compare two sources, each a file, a directory or a git revision (then -f names"
        " the paths inside it, default the whole repository)",
    )
    diff.add_argument("--format", choices=("text", "markdown"), default="text")
    diff.set_defaults(func=cmd_diff, live_args=[])

    export = commands.add_parser(
        "export", help="write the resources in another format (kustomize, ...) into a directory"
    )
    with_inputs(export)
    export.add_argument("--format", required=True, choices=sorted(exports.FORMATS))
    export.add_argument("-o", "--output-dir", required=True, help="the directory to write")
    export.set_defaults(func=cmd_export)

    compile_cmd = commands.add_parser(
        "compile", help="print the resources .kfg files define, as YAML (checked)"
    )
    compile_cmd.add_argument("filename", nargs="+", help="a .kfg file, a directory, or -")
    compile_cmd.set_defaults(func=cmd_compile)

    fmt = commands.add_parser("fmt", help="format .kfg files in place")
    fmt.add_argument("filename", nargs="+", help="a .kfg file or a directory of them")
    fmt.add_argument("--check", action="store_true", help="change nothing; exit 1 if unformatted")
    fmt.set_defaults(func=cmd_fmt)

    convert = commands.add_parser("convert", help="print resources (YAML) as .kfg")
    convert.add_argument("-f", "--filename", action="append", required=True, help="FILE|DIR|-")
    convert.set_defaults(func=cmd_convert)

    schema = commands.add_parser("schema", help="print the JSON schema of *.kfg.yaml (editors)")
    schema.set_defaults(func=cmd_schema)

    graph_cmd = commands.add_parser("graph", help="draw resources, children and connections")
    with_inputs(graph_cmd)
    graph_cmd.add_argument("-o", "--output", help="write here (.svg: SVG, else Mermaid)")
    graph_cmd.add_argument("--format", choices=("mermaid", "svg"), help="default from -o")
    graph_cmd.set_defaults(func=cmd_graph)

    operator = commands.add_parser("operator", help="run the operator (konfiguru[operator])")
    operator_commands = operator.add_subparsers(dest="operator_command", required=True)
    run = operator_commands.add_parser(
        "run", help="watch the cluster; options: `konfiguru operator run --help`", add_help=False
    )
    run.set_defaults(func=cmd_operator_run, operator_args=[])
    rbac = operator_commands.add_parser(
        "rbac", help="print the RBAC rules installed plugins need (Helm values rbac.extraRules)"
    )
    rbac.set_defaults(func=cmd_operator_rbac)
    return parser


def cmd_operator_run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    return _exec_operator_module("konfiguru_operator", args.operator_args, err)


def cmd_operator_rbac(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    return _exec_operator_module("konfiguru_operator.rbac", [], err)


def _exec_operator_module(module: str, arguments: Sequence[str], err: TextIO) -> int:
    """Replace this process with ``python -m <module>`` of the operator package: the generators
    never import the operator (or Kopf), and signals reach it directly."""
    import importlib.util

    if importlib.util.find_spec("konfiguru_operator") is None:
        err.write("error: the operator is not installed; pip install 'konfiguru[operator]'\n")
        return 2 if module != "konfiguru_operator" else 1
    err.flush()
    argv = [sys.executable, "-m", module, *arguments]
    os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, no shell
    return 0  # pragma: no cover - execv does not return


def main(
    argv: Sequence[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:2] == ["operator", "run"]:  # every later option belongs to the operator
        args = build_parser().parse_args(argv[:2])
        args.operator_args = argv[2:]
    elif argv[:1] == ["diff"] and "--offline" not in argv and not {"-h", "--help"} & set(argv):
        args = build_parser().parse_args(argv)  # checked here, run by the operator package
        args.live_args = argv[1:]
    else:
        args = build_parser().parse_args(argv)
    failed = 2 if args.command == "diff" else 1  # `kubectl diff`: 1 means "there are changes"
    if args.command != "plugins":  # which lists them itself
        err.writelines(
            f"warning: {warning}\n" for warning in plugins.warnings(REGISTRY.plugin_statuses())
        )
    try:
        code: int = args.func(args, out, err, stdin)
    except InputError as error:
        err.write(f"error: {error}\n")
        return failed
    except FrontEndError as error:  # each problem as file:line:column: ...
        err.write(f"{error}\n")
        return failed
    except SpecError as error:  # a bad --kube-version, say
        err.write(f"error: {error.message}\n")
        return failed
    except OSError as error:
        err.write(f"error: {error}\n")
        return failed
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
