"""Functional core, imperative shell, checked on the source: no core module of sheetfunnel/
imports I/O or reads the clock, and none imports a shell module. Every module is core unless
SHELL names it, so a new package (config/, words/, tabs/) is held to the rule from its first day.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sheetfunnel"

#: The imperative shell: modules that may do I/O. "sheetfunnel" is the package's __init__.
SHELL = ("sheetfunnel", "sheetfunnel.__main__", "sheetfunnel.api", "sheetfunnel.workbook",
         "sheetfunnel.runner", "sheetfunnel.cli", "sheetfunnel.watch", "sheetfunnel.locks",
         "sheetfunnel.init_plan", "sheetfunnel.logs", "sheetfunnel.resources",
         "sheetfunnel.notify.hook", "sheetfunnel.notify.deliver", "sheetfunnel.notify.channels",
         "sheetfunnel.fleet.gate", "sheetfunnel.fleet.lock", "sheetfunnel.fleet.tasks",
         "sheetfunnel.fleet.status", "sheetfunnel.fleet.commands",
         "sheetfunnel.fleet.notices")

#: Modules that touch files, the network, the environment or the clock.
IO_MODULES = ("os", "openpyxl", "gspread", "requests", "google", "filelock", "python_calamine",
              "socket", "smtplib", "time", "subprocess", "shutil", "urllib", "http", "redis",
              "huey")

#: Calls that read the clock: ``<date or datetime>.<one of these>()``, ``time.time()``.
CLOCK_CALLS = {"now", "today", "utcnow"}

#: The contract between the core and the backends: pure data and a Protocol, no I/O, so the
#: core may name it although it sits in the shell's folder.
CONTRACT = ("sheetfunnel.workbook.base",)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_shell(module: str) -> bool:
    if module in CONTRACT:
        return False
    return any(module == shell or (shell != "sheetfunnel" and module.startswith(shell + "."))
               for shell in SHELL)


def core_modules() -> dict[str, tuple[ast.Module, str]]:
    """Each core module's syntax tree and the package its relative imports start from."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = module_name(path)
        if not is_shell(name):
            package = name if path.name == "__init__.py" else name.rpartition(".")[0]
            found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path)), package
    return found


def imported(package: str, tree: ast.Module) -> list[tuple[str, int]]:
    """Every module imported (``from x import y`` counts as x and x.y), with its line."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def clock_reads(tree: ast.Module) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else \
            owner.id if isinstance(owner, ast.Name) else ""
        if node.func.attr in CLOCK_CALLS and owner_name in ("date", "datetime") or \
                (owner_name, node.func.attr) in {("time", "time"), ("time", "monotonic")}:
            found.append((f"{owner_name}.{node.func.attr}()", node.lineno))
    return found


def as_module(name: str) -> str:
    """``sheetfunnel.x.y`` as the module it names (``y`` may be a name inside ``x``)."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return name if path.is_dir() or path.with_suffix(".py").exists() else name.rpartition(".")[0]


def upward_imports() -> set[tuple[str, str]]:
    return {(module, as_module(name)) for module, (tree, package) in core_modules().items()
            for name, _ in imported(package, tree)
            if name.startswith("sheetfunnel.") and is_shell(as_module(name))}


def test_the_shell_list_names_modules_that_exist():
    names = {module_name(path) for path in PACKAGE.rglob("*.py")}
    assert {"sheetfunnel.engine.evaluate", "sheetfunnel.render", "sheetfunnel.summary"} <= \
        set(core_modules())
    assert any(is_shell(name) for name in names - {"sheetfunnel"})


def test_no_core_module_imports_io_or_reads_the_clock():
    offences = []
    for module, (tree, package) in core_modules().items():
        for name, line in imported(package, tree):
            if name.split(".")[0] in IO_MODULES:
                offences.append(f"{module}:{line} imports {name}")
        offences += [f"{module}:{line} calls {call}" for call, line in clock_reads(tree)]
    assert offences == []


def test_no_core_module_imports_a_shell_module():
    offences = sorted(upward_imports())
    assert [f"{module} imports {name} (shell)" for module, name in offences] == []


def test_the_check_sees_io_a_clock_and_an_upward_import():
    tree = ast.parse("import os\nfrom sheetfunnel.workbook import xlsx\nfrom ..runner import go\n"
                     "import datetime as dt\nx = dt.datetime.now()\ny = dt.date.today()\n")
    names = {name for name, _ in imported("sheetfunnel.engine", tree)}
    assert {"os", "sheetfunnel.workbook.xlsx", "sheetfunnel.runner.go"} <= names
    assert all(is_shell(name) for name in ("sheetfunnel.workbook.xlsx", "sheetfunnel.runner"))
    assert not is_shell("sheetfunnel.render")
    assert [call for call, _ in clock_reads(tree)] == ["datetime.now()", "date.today()"]
