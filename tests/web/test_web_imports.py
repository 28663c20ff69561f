"""The shape of the web layers: the core needs no web framework, and neither the core nor
the Flask layer is part of an import cycle."""

import ast
import subprocess
import sys
from pathlib import Path

import flet_auth

PACKAGE = Path(flet_auth.__file__).resolve().parent

PROBE = """
import pkgutil, sys, flet_auth.web
for m in pkgutil.walk_packages(flet_auth.web.__path__, "flet_auth.web."):
    __import__(m.name)
print(" ".join(sorted({m.split(".")[0] for m in sys.modules})))
"""


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = ["flet_auth", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that `module` imports (at run time or for type checking)."""
    found = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}".rstrip(".")
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    found.add(f"{base}.{alias.name}")
                elif base in known:
                    found.add(base)
    found.discard(module)
    return found


def test_the_core_imports_no_web_framework_nor_redis() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert not {"flask", "werkzeug", "markupsafe", "starlette", "fastapi", "redis"} & set(out)


def test_no_module_of_the_package_is_part_of_an_import_cycle() -> None:
    names = module_names()
    graph = {m: imports_of(m, p, set(names)) for m, p in names.items()}
    for start in graph:
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            current = todo.pop()
            assert current != start, f"{start} imports itself through {sorted(seen)}"
            if current not in seen:
                seen.add(current)
                todo.extend(graph[current])
