"""House rule: pages never import routes. No module of a service's public or editor pages may
reach one of its JSON route modules (`services.<svc>.api…`), directly or through other modules
of the project; what both need lives in schemas, use cases or `npa`."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE_PACKAGES = ("pages", "editor", "editors")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for top in ("services", "npa") for path in (ROOT / top).rglob("*.py")}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            # importing a.b.c runs a/__init__, a/b/__init__ and a/b/c
            found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in modules)
    return found


def is_page_module(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 3 and parts[0] == "services" and parts[2] in PAGE_PACKAGES


def is_route_module(name: str) -> bool:
    parts = name.split(".")
    return len(parts) >= 3 and parts[0] == "services" and parts[2] == "api"


def route_path(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """The chain of imports from a page module to a route module, if there is one."""
    seen, queue = {start: [start]}, [start]
    while queue:
        current = queue.pop(0)
        for target in sorted(graph[current]):
            if target in seen:
                continue
            seen[target] = seen[current] + [target]
            if is_route_module(target):
                return seen[target]
            queue.append(target)
    return None


def test_pages_never_import_routes():
    modules = project_modules()
    graph = {name: imports_of(path, modules) for name, path in modules.items()}
    pages = [name for name in modules if is_page_module(name)]
    assert len(pages) >= 10, pages  # the check looks where the pages are
    chains = {page: chain for page in pages if (chain := route_path(page, graph))}
    assert chains == {}, "\n".join(" → ".join(chain) for chain in chains.values())


def test_the_check_sees_a_route_import():
    graph = {"services.x.pages": {"services.x.schemas"}, "services.x.schemas": {"services.x.api"},
             "services.x.api": set()}
    assert route_path("services.x.pages", graph) == ["services.x.pages", "services.x.schemas", "services.x.api"]


# House rule: the use case owns its transaction (ADR 25). Routes, pages and editor views call use
# cases with the runtime (a UnitOfWork) and never open, commit or roll back a session themselves.
TRANSACTION_CALLS = {"Session", "session_scope"}
TRANSACTION_METHODS = {"transaction", "reading", "commit", "rollback"}


def is_caller_module(name: str) -> bool:
    parts = name.split(".")
    return is_page_module(name) or is_route_module(name) or (
        parts[:2] == ["npa", "infrastructure"] and parts[-1].endswith("_pages"))


def transaction_calls(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in TRANSACTION_CALLS:
            found.append(f"{path.relative_to(root)}:{node.lineno} {function.id}(…)")
        elif isinstance(function, ast.Attribute) and function.attr in TRANSACTION_METHODS:
            found.append(f"{path.relative_to(root)}:{node.lineno} .{function.attr}(…)")
    return found


def test_routes_and_pages_leave_transactions_to_use_cases():
    modules = project_modules()
    callers = [name for name in modules if is_caller_module(name)]
    assert len(callers) >= 25, callers  # the check looks where the routes and pages are
    found = [call for name in sorted(callers) for call in transaction_calls(modules[name])]
    assert found == [], "\n".join(found)


def test_the_check_sees_a_transaction(tmp_path):
    route = tmp_path / "route.py"
    route.write_text("def create(request):\n    with runtime(request).transaction() as session:\n"
                     "        session.commit()\n    with Session(engine) as session:\n        pass\n")
    calls = [call.split(" ", 1)[1] for call in transaction_calls(route, tmp_path)]
    assert sorted(calls) == [".commit(…)", ".transaction(…)", "Session(…)"]



# An `async def` view runs on the service's event loop, which the consumer and the outbox relay
# share: a use case (database work) called there directly would stall them. Such a view hands
# the call to a thread (run_in_threadpool, asyncio.to_thread), or is a plain `def` taking the
# form from `Depends(editor_pages.posted_form)`.
def use_case_names(tree: ast.Module, modules: set[str]) -> tuple[set[str], set[str]]:
    """Names bound to use case modules, and to functions imported from them."""
    bound_modules, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and ".usecases" in f".{node.module}":
            for alias in node.names:
                is_module = f"{node.module}.{alias.name}" in modules
                (bound_modules if is_module else functions).add(alias.asname or alias.name)
    return bound_modules, functions


def blocking_calls(path: Path, modules: set[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    use_case_modules, functions = use_case_names(tree, modules)
    found = []
    for view in (node for node in ast.walk(tree) if isinstance(node, ast.AsyncFunctionDef)):
        for call in (node for node in ast.walk(view) if isinstance(node, ast.Call)):
            function = call.func
            if (isinstance(function, ast.Name) and function.id in functions) or (
                    isinstance(function, ast.Attribute) and isinstance(function.value, ast.Name)
                    and function.value.id in use_case_modules and function.attr[:1].islower()):
                found.append(f"{path.relative_to(root)}:{call.lineno} in async {view.name}")
    return found


def test_async_views_leave_use_cases_to_threads():
    modules = project_modules()
    found = [call for name in sorted(modules) if is_caller_module(name)
             for call in blocking_calls(modules[name], set(modules))]
    assert found == [], "\n".join(found)


def test_the_check_sees_a_use_case_called_on_the_event_loop(tmp_path):
    view = tmp_path / "view.py"
    view.write_text("from services.x.usecases import registry\nfrom services.x.usecases.registry import find\n"
                    "async def create(request):\n    registry.register(request)\n    find(1)\n"
                    "    await run_in_threadpool(registry.register, request)\n"
                    "def update(request):\n    registry.update(request)\n")
    assert blocking_calls(view, {"services.x.usecases.registry"}, tmp_path) == ["view.py:4 in async create", "view.py:5 in async create"]


# House rule: domain code is free of frameworks, and so are the use cases (ADR 25): they run in a
# route, a bus handler, a worker or a command line alike. Nothing they import, directly or through
# other modules of the project, may import the web framework.
WEB_FRAMEWORKS = {"fastapi", "starlette"}


def third_party_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def reachable(start: str, graph: dict[str, set[str]]) -> set[str]:
    seen, queue = {start}, [start]
    while queue:
        for target in graph[queue.pop()] - seen:
            seen.add(target)
            queue.append(target)
    return seen


def test_use_cases_and_domain_import_no_web_framework():
    modules = project_modules()
    graph = {name: imports_of(path, modules) for name, path in modules.items()}
    framework_free = [name for name in modules
                      if name.split(".")[0] == "services" and name.split(".")[2:3] in (["usecases"], ["domain"])]
    assert len(framework_free) >= 30, framework_free  # the check looks where the use cases are
    found = {name: sorted(module for module in reachable(name, graph)
                          if third_party_imports(modules[module]) & WEB_FRAMEWORKS)
             for name in framework_free}
    assert {name: chain for name, chain in found.items() if chain} == {}


# House rule: no import cycles between the project's modules. An import a package needs to run a
# submodule (`a.b` for `a.b.c`) is Python's machinery, not a dependency; an import only for type
# checkers (`if TYPE_CHECKING:`) runs never.
def runtime_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            node.body = []
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                         for alias in node.names)
    return {name for name in found if name in modules}


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    work.append((target, iter(sorted(graph[target]))))
                elif target in stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))
    return cycles


def test_no_import_cycles():
    modules = project_modules()
    graph = {name: runtime_imports(path, modules) - {name} for name, path in modules.items()}
    assert import_cycles(graph) == []


def test_the_check_sees_an_import_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert import_cycles(graph) == [["a", "b", "c"]]
