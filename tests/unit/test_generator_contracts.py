"""The generators stay pure: no Kubernetes client, no Kopf, no network, no processes, no I/O.

The operator and the CLI both call the generators; if a generator talked to the cluster or read
files, ``konfiguru render`` offline and the operator would stop producing identical children.
Enforced three ways: an AST scan of every module (imports and I/O calls), the import-linter
``forbidden`` contract in ``pyproject.toml`` (run by ``.ci/run`` as ``lint-imports``, and here
against a planted violation to prove it bites), and a run-time check of ``sys.modules`` after
rendering every example.

I/O is allowed in two modules only, for reasons stated in ``IO_ALLOWED``.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import kfgtest

PACKAGE = kfgtest.ROOT / "generators" / "konfiguru_generators"
FORBIDDEN_IMPORTS = {
    "kopf", "kubernetes", "kubernetes_asyncio", "aiohttp", "requests", "httpx", "urllib3",
    "socket", "subprocess", "asyncio", "ftplib", "smtplib", "shutil", "tempfile",
    "multiprocessing", "threading", "konfiguru_operator",
    # Dotted: the pure halves (urllib.parse, http.HTTPStatus) stay allowed.
    "urllib.request", "urllib.error", "http.client", "http.server",
}  # fmt: skip
# Calls that read or write files, the environment, the terminal or other processes.
IO_NAMES = {"open", "print", "input", "exec", "eval", "__import__", "breakpoint"}
# Methods only files and paths have (str.replace or list.remove would be false alarms).
IO_METHODS = {
    "read_text", "read_bytes", "write_text", "write_bytes", "mkdir", "unlink", "rmdir",
    "touch", "iterdir", "rglob", "is_file", "is_dir", "import_module",
}  # fmt: skip
IO_MODULE_ATTRIBUTES = {
    "os": {
        "environ", "getenv", "putenv", "system", "popen", "remove", "unlink", "walk", "listdir",
        "scandir", "getcwd", "chdir", "makedirs", "mkdir", "rename", "replace", "open", "read",
        "write", "fork", "kill", "exec", "execv", "spawnv",
    },
    "sys": {"stdin", "stdout", "stderr", "argv", "exit"},
}  # fmt: skip
IO_ALLOWED = {
    # The command line is the edge: it reads the user's files and the seed, writes output.
    "cli.py": "the CLI reads user files, KONFIGURU_SECRET_SEED and writes manifests",
    # Package data only: the CRDs shipped inside the package, via importlib.resources.
    "resources.py": "reads the CRDs shipped as package data (importlib.resources)",
    # A kustomization directory given to the CLI is built by the real `kubectl kustomize`.
    "frontends/kustomization.py": "runs kubectl kustomize for a directory given to the CLI",
    # `konfiguru render -f app.py`: runs the user's module written with the Python DSL, only
    # when named on the command line (never from a directory walk).
    "frontends/python.py": "runs a Python DSL module named with -f (exec of the user's code)",
}
# The process modules those may import, by module (everything else stays forbidden everywhere).
PROCESS_ALLOWED = {"frontends/kustomization.py": {"subprocess"}}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported_modules(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def forbidden_imports(tree: ast.AST) -> set[str]:
    return {
        name
        for name in imported_modules(tree)
        for banned in FORBIDDEN_IMPORTS
        if name == banned or name.startswith(banned + ".")
    }


def io_uses(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in IO_NAMES:
                found.append(f"line {node.lineno}: {node.func.id}()")
        elif isinstance(node, ast.Attribute):
            module = node.value.id if isinstance(node.value, ast.Name) else None
            if node.attr in IO_METHODS or node.attr in IO_MODULE_ATTRIBUTES.get(module or "", ()):
                found.append(f"line {node.lineno}: .{node.attr}")
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_generator_module_imports_no_client_network_or_process_module(path: Path) -> None:
    allowed = PROCESS_ALLOWED.get(path.relative_to(PACKAGE).as_posix(), set())
    forbidden = forbidden_imports(ast.parse(path.read_text("utf-8"))) - allowed
    assert not forbidden, f"{path.relative_to(kfgtest.ROOT)} imports {sorted(forbidden)}"


def _io_allowed(path: Path) -> bool:
    return path.relative_to(PACKAGE).as_posix() in IO_ALLOWED


@pytest.mark.parametrize(
    "path",
    [p for p in modules() if not _io_allowed(p)],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_generator_module_does_no_io(path: Path) -> None:
    uses = io_uses(ast.parse(path.read_text("utf-8")))
    assert not uses, f"{path.relative_to(kfgtest.ROOT)} does I/O: {uses}"


def test_only_the_cli_and_the_package_data_reader_may_do_io() -> None:
    # The exceptions are few and named; each really does the I/O it is allowed (else drop it).
    allowed = [p for p in modules() if _io_allowed(p)]
    assert sorted(p.relative_to(PACKAGE).as_posix() for p in allowed) == sorted(IO_ALLOWED)
    assert sorted(IO_ALLOWED) == [
        "cli.py",
        "frontends/kustomization.py",
        "frontends/python.py",
        "resources.py",
    ]
    for path in allowed:
        assert io_uses(ast.parse(path.read_text("utf-8"))), f"{path.name} no longer does I/O"


def test_the_scans_catch_planted_violations() -> None:
    tree = ast.parse(
        "import kubernetes.client\nfrom socket import socket\nimport os, urllib.parse\n"
        "from urllib import request\nx = os.environ['A']\nopen('f')\n"
        "Path('x').read_text()\nprint(1)\n'a'.replace('a', 'b')\n"
    )
    assert forbidden_imports(tree) == {
        "kubernetes.client",
        "socket",
        "socket.socket",
        "urllib.request",
    }
    assert len(io_uses(tree)) == 4


def test_rendering_every_example_loads_no_kubernetes_client_or_kopf() -> None:
    # In a fresh interpreter: this test process has the operator's dependencies loaded.
    clients = ["kopf", "kubernetes", "kubernetes_asyncio", "aiohttp", "requests", "httpx"]
    code = (
        "import sys, yaml, pathlib, konfiguru_generators as k, konfiguru_generators.cli\n"
        "for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.kfg.yaml')):\n"
        "    [k.render(d) for d in yaml.safe_load_all(p.read_text()) if d]\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {clients!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(kfgtest.EXAMPLES)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]", result.stdout


def test_pyproject_declares_the_forbidden_import_contract_and_ci_runs_it() -> None:
    config = tomllib.loads((kfgtest.ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    forbidden = {
        module
        for contract in contracts
        if contract["type"] == "forbidden"
        and contract["source_modules"] == ["konfiguru_generators"]
        for module in contract["forbidden_modules"]
    }
    assert {"kopf", "kubernetes", "kubernetes_asyncio", "socket", "subprocess"} <= forbidden
    exceptions = [
        ignored
        for contract in contracts
        if contract["source_modules"] == ["konfiguru_generators"]
        for ignored in contract.get("ignore_imports", [])
    ]
    assert exceptions == ["konfiguru_generators.frontends.kustomization -> subprocess"]
    assert "lint-imports" in (kfgtest.ROOT / ".ci" / "run").read_text("utf-8")


def test_import_linter_breaks_the_contract_on_a_planted_import(tmp_path: Path) -> None:
    lint_imports = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if lint_imports is None:
        pytest.fail("lint-imports is not installed (import-linter is a test dependency)")
    shutil.copytree(PACKAGE, tmp_path / "src" / "konfiguru_generators", symlinks=True)
    planted = tmp_path / "src" / "konfiguru_generators" / "planted.py"
    planted.write_text("import kubernetes_asyncio\n", "utf-8")
    (tmp_path / ".importlinter").write_text(
        "[importlinter]\nroot_package = konfiguru_generators\ninclude_external_packages = True\n"
        "[importlinter:contract:pure]\nname = pure\ntype = forbidden\n"
        "source_modules = konfiguru_generators\nforbidden_modules = kubernetes_asyncio\n",
        "utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src")}
    result = subprocess.run(
        [lint_imports, "--config", str(tmp_path / ".importlinter"), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0, result.stdout
    assert "konfiguru_generators.planted -> kubernetes_asyncio" in result.stdout, result.stdout
