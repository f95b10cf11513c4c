"""The layout holds: imports point one way (doors → wiring → services → adapters → core) and
no module of ``bot/`` takes part in an import cycle.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a lazy import
is still a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
IO_LIBRARIES = ("httpx", "telegram", "tweepy", "requests", "sqlalchemy", "alembic", "psycopg",
                "socket", "urllib.request", "subprocess", "fastapi", "uvicorn", "trafilatura",
                "feedparser", "PIL")
DOORS = ("bot.cli", "bot.api", "bot.staff", "bot.web")
SERVICES = ("bot.daemon", "bot.intake", "bot.reports", "bot.config")
ADAPTERS = ("bot.store", "bot.publish", "bot.ingest")
CORE = ("bot.domain", "bot.compose")


def module_name(path: Path) -> str:
    """``bot/daemon/service.py`` → ``bot.daemon.service``; a package's ``__init__`` → the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in BOT.rglob("*.py") if "migrations" not in p.parts}


def resolve(name: str) -> str | None:
    """The project module an imported name lives in (None: not ours)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def imports(module: str) -> frozenset[str]:
    """Every name a module imports, absolute, including ``from x import submodule``."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def project_imports(module: str) -> set[str]:
    """The project modules ``module`` depends on."""
    out = {resolve(n) for n in imports(module)}
    return {m for m in out if m is not None and m != module}


def within(module: str, packages: tuple[str, ...]) -> bool:
    """True when ``module`` is one of ``packages`` or inside one."""
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_top_level_holds_only_the_entry_point_wiring_and_logging() -> None:
    """At the top of ``bot/`` there are packages, plus at most five modules."""
    modules = sorted(p.name for p in BOT.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py", "logs.py", "wiring.py"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, CORE)))
def test_core_imports_no_io_and_nothing_above_it(module: str) -> None:
    """``domain`` and ``compose`` import no I/O library, no adapter, no service, no door, and
    never read the environment."""
    bad = {n for n in imports(module) if within(n, IO_LIBRARIES)}
    bad |= {m for m in project_imports(module) if not within(m, CORE)}
    assert not bad, f"{module} imports {sorted(bad)}"
    text = MODULES[module].read_text(encoding="utf-8")
    assert "os.environ" not in text and "os.getenv" not in text, f"{module} reads the environment"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, ADAPTERS)))
def test_adapters_never_reach_up(module: str) -> None:
    """``store``, ``publish`` and ``ingest`` import no service (daemon, intake, reports), no door
    and not the wiring."""
    bad = {m for m in project_imports(module)
           if within(m, (*DOORS, "bot.wiring", "bot.daemon", "bot.intake", "bot.reports"))}
    assert not bad, f"{module} imports {sorted(bad)}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if within(m, SERVICES)))
def test_services_never_import_doors_or_wiring(module: str) -> None:
    """Nothing below ``wiring`` imports it or a door: each part is handed what it uses."""
    bad = {m for m in project_imports(module) if within(m, (*DOORS, "bot.wiring"))}
    assert not bad, f"{module} imports {sorted(bad)}"


def find_cycle() -> list[str] | None:
    """One import cycle among the project's modules, or None."""
    graph = {m: project_imports(m) for m in MODULES}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n):], n]
            if n not in state:
                found = visit(n)
                if found:
                    return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state:
            found = visit(m)
            if found:
                return found
    return None


def test_no_import_cycles() -> None:
    """No module of ``bot/`` imports, directly or through others, a module that imports it."""
    cycle = find_cycle()
    assert cycle is None, " → ".join(cycle or [])


def test_cycle_finder_sees_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cycle check itself can fail: two modules importing each other are reported."""
    fake = {"bot.a": frozenset({"bot.b"}), "bot.b": frozenset({"bot.a"})}
    monkeypatch.setattr(f"{__name__}.MODULES", {"bot.a": Path("a"), "bot.b": Path("b")})
    monkeypatch.setattr(f"{__name__}.project_imports", lambda m: set(fake[m]))
    assert find_cycle() == ["bot.a", "bot.b", "bot.a"]
