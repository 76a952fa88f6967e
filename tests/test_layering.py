"""The import rules of docs/architecture.md, as tests: a failing import names the rule it breaks.

Apps import one way (accounts <- generations <- reviews <- feedback); the shared kit (core/) and the
inference module import no app; no app imports config (config wires the apps together); inside an
app the layers run one way (edges -> services -> selectors -> models); an edge that handles requests,
tasks or commands never imports another such edge (views and tasks do not import the API); project
modules are imported at the top of a module, not inside functions, except in AppConfig.ready() and
the seams named in LAZY_SEAMS; and no two modules import each other, directly or through others.
"""

import ast
import re
from pathlib import Path

from config.env import BASE_DIR

PACKAGES = ("core", "accounts", "generations", "reviews", "feedback", "privacy", "inference", "config")
# Which top-level packages each may import; an app never imports one above it, nothing imports config.
MAY_IMPORT = {
    "core": set(),
    "inference": set(),
    "accounts": {"core"},
    "generations": {"core", "accounts", "inference"},
    "reviews": {"core", "accounts", "generations"},
    "feedback": {"core", "accounts", "generations", "reviews"},
    # An artist's data rights reach every app that holds their data: export reads them all.
    "privacy": {"core", "accounts", "generations", "reviews", "feedback"},
    "config": {"core", "accounts", "generations", "reviews", "feedback", "privacy", "inference"},
}
# Layers inside an app, lowest first; a module may import its own layer or lower ones. Modules not
# named here are edges (api, views, tasks, commands, admin, forms, receivers...), the top layer.
LAYERS = {
    "models": 0, "storage": 0, "signals": 0, "tokens": 0,
    "selectors": 1, "ledger": 1, "pricing": 1, "prompts": 1, "media": 1, "permissions": 1,
    "credentials": 1, "markup": 1, "uploads": 1, "numbers": 1, "money": 1, "exports": 1, "archive": 1, "lanes": 1,
    "validators": 1, "addresses": 1,
    "services": 2, "dispatch": 2, "leaks": 2, "webhooks": 2, "staff_access": 2, "serializers": 2,
}  # fmt: skip
EDGE = 3
LAYER_NAMES = {0: "models", 1: "selectors and rules", 2: "services", 3: "edges (api, views, tasks, commands)"}
# Edges that handle something from outside (a request, a task, a command, a signal, the admin): each
# reaches the services itself; one calling another's code would be an edge importing an edge.
HANDLERS = {"api", "views", "staff_views", "tasks", "receivers", "admin"}
# Imports inside functions that must stay there, and why.
LAZY_SEAMS = {
    ("config.preflight", "_a_worker_answers"): "the Celery app is imported after django.setup()",
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(BASE_DIR).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (BASE_DIR / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


MODULES = project_modules()


def imports_of(path: Path) -> set[str]:
    """The project modules ``path`` imports, anywhere in the file (a lazy import is still an import)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from generations import dispatch" imports the module generations.dispatch; "from
            # generations.models import Generation" imports generations.models.
            names = [
                f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                for alias in node.names
            ]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                found.add(name)
    return found


GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def layer_of(module: str) -> int:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return LAYERS[parts[1]]
    return EDGE


def test_apps_import_only_the_apps_below_them():
    broken = []
    for module, imported in GRAPH.items():
        own = module.split(".")[0]
        for target in imported:
            other = target.split(".")[0]
            if other != own and other not in MAY_IMPORT[own]:
                rule = (
                    "nothing imports config"
                    if other == "config"
                    else f"{own} may import only {sorted(MAY_IMPORT[own])}"
                )
                broken.append(f"{module} imports {target}: {rule}")
    assert broken == []


def test_layers_inside_an_app_run_one_way():
    broken = []
    for module, imported in GRAPH.items():
        app = module.split(".")[0]
        if app in ("config", "core", "inference"):
            continue
        for target in imported:
            if target.split(".")[0] == app and layer_of(target) > layer_of(module):
                broken.append(
                    f"{module} ({LAYER_NAMES[layer_of(module)]}) imports {target} ({LAYER_NAMES[layer_of(target)]}): "
                    "a lower layer never imports a higher one"
                )
    assert broken == []


def is_handler(module: str) -> bool:
    parts = module.split(".")
    return parts[-1] in HANDLERS or "commands" in parts[:-1]


def edge_to_edge_imports(graph: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} imports {target}: an edge calls the services, not another edge"
        for module, imported in sorted(graph.items())
        if is_handler(module)
        for target in sorted(imported)
        if is_handler(target) and target != module
    ]


def function_level_imports(module: str, source: str) -> list[str]:
    """Project modules imported inside a function of ``module`` (outside ready() and LAZY_SEAMS)."""
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.name == "ready":
            continue
        if (module, function.name) in LAZY_SEAMS:
            continue
        for node in ast.walk(function):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [
                f"{module}.{function.name}() imports {name} inside the function: import it at the top"
                for name in names
                if name.split(".")[0] in PACKAGES
            ]
    return found


def test_edges_do_not_import_each_other():
    assert edge_to_edge_imports(GRAPH) == []


def test_project_modules_are_imported_at_the_top():
    broken = [line for name, path in MODULES.items() for line in function_level_imports(name, path.read_text())]
    assert broken == []


def test_the_rules_catch_what_they_forbid():
    planted = {"generations.tasks": {"generations.api", "generations.services"}, "reviews.views": {"reviews.forms"}}
    assert edge_to_edge_imports(planted) == [
        "generations.tasks imports generations.api: an edge calls the services, not another edge"
    ]
    source = "def body_of(generation):\n    from generations.api import GenerationSerializer\n    return 1\n"
    assert function_level_imports("generations.tasks", source) == [
        "generations.tasks.body_of() imports generations.api inside the function: import it at the top"
    ]
    allowed = "class Config:\n    def ready(self):\n        from generations import receivers\n"
    assert function_level_imports("generations.apps", allowed) == []


# Page handlers: what a view may not do itself (core.pages and the forms do it, once).
VIEW_MODULES = {"views", "staff_views"}


def view_departures(module: str, source: str) -> list[str]:
    """A page handler that catches a service's refusal by hand (core.pages shows every refusal one way) or
    reads a posted value without a form (a form says what is wrong, and keeps what was sent)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = [node.type] if not isinstance(node.type, ast.Tuple) else node.type.elts
            if any(isinstance(name, ast.Name) and name.id == "ApplicationError" for name in caught):
                found.append((node.lineno, "catches ApplicationError: use core.pages (refusals_on, ...)"))
        posted = node.value if isinstance(node, ast.Attribute | ast.Subscript) else None
        if (
            isinstance(posted, ast.Attribute) and posted.attr == "POST"
            and (isinstance(node, ast.Subscript) or node.attr == "get")
        ):  # fmt: skip
            found.append((node.lineno, "reads request.POST without a form"))
    return [f"{module}:{line} {what}" for line, what in sorted(found)]


# Edges call get_object_or_404 by id or a selector; building a query is a selector's job.
QUERY_METHODS = {"filter", "exclude", "annotate", "select_related", "prefetch_related", "order_by", "values_list"}
EDGE_READERS = {"views", "staff_views", "api"}


def query_building(module: str, source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append((node.lineno, "reaches a model's manager"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERY_METHODS:
            found.append((node.lineno, f"builds a query (.{node.func.attr}): read through a selector"))
    return [f"{module}:{line} {what}" for line, what in sorted(found)]


def test_edges_read_through_selectors():
    broken = [
        line
        for name, path in MODULES.items()
        if name.split(".")[-1] in EDGE_READERS and name.split(".")[0] in MAY_IMPORT
        for line in query_building(name, path.read_text())
    ]
    assert broken == []


def test_the_query_rule_catches_what_it_forbids():
    planted = "def view(request):\n    x = Report.objects.all()\n    return get_object_or_404(x.filter(pk=1))\n"
    assert query_building("feedback.views", planted) == [
        "feedback.views:2 reaches a model's manager",
        "feedback.views:3 builds a query (.filter): read through a selector",
    ]


def test_views_show_refusals_one_way_and_read_posts_through_forms():
    broken = [
        line
        for name, path in MODULES.items()
        if name.split(".")[-1] in VIEW_MODULES
        for line in view_departures(name, path.read_text())
    ]
    assert broken == []


def test_the_view_rules_catch_what_they_forbid():
    planted = (
        "def view(request):\n"
        "    seed = request.POST.get('seed')\n"
        "    key = request.POST['key']\n"
        "    try:\n        run()\n    except (ValueError, ApplicationError):\n        pass\n"
        "    form = Form(request.POST)\n"
    )
    assert view_departures("generations.views", planted) == [
        "generations.views:2 reads request.POST without a form",
        "generations.views:3 reads request.POST without a form",
        "generations.views:6 catches ApplicationError: use core.pages (refusals_on, ...)",
    ]


# Each access rule is written once, in its app's permissions module: the words that state it appear nowhere else.
ACCESS_RULES = {
    "reviews.permissions": ("excluded_reviewer=", "a reviewer's requests (requests_reviewable_by)"),
    "feedback.permissions": ("as_staff=review_powers(", "who sees a report (access_report)"),
}


def access_rules_restated(sources: dict[str, str]) -> list[str]:
    return [
        f"{module} restates {what}: call {home}"
        for home, (words, what) in ACCESS_RULES.items()
        for module, source in sorted(sources.items())
        if module != home and ".migrations." not in module and words in source
    ]


def test_each_access_rule_is_written_once():
    sources = {name: path.read_text() for name, path in MODULES.items() if name.split(".")[0] in MAY_IMPORT}
    assert access_rules_restated(sources) == []


def test_the_access_rule_check_catches_a_second_copy():
    planted = {"reviews.views": "PublicationRequest.objects.exclude(excluded_reviewer=user)", "reviews.api": "x"}
    assert access_rules_restated(planted) == [
        "reviews.views restates a reviewer's requests (requests_reviewable_by): call reviews.permissions"
    ]


def test_no_import_circles():
    """Tarjan's strongly connected components: any component of more than one module is a circle."""
    index, low, stack, on_stack, circles, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert circles == [], "modules that import each other, directly or through others"


def test_no_app_module_outside_migrations_is_over_450_lines():
    long = {
        name: lines
        for name, path in MODULES.items()
        if name.split(".")[0] in ("accounts", "generations", "reviews", "feedback", "core")
        and (lines := len(path.read_text().splitlines())) > 450
    }
    assert long == {}


def test_no_test_patches_the_services():
    """Tests hold the wake-up messages at the dispatch seam (the wake_ups fixture); a patched service
    would test a shim instead of the code."""
    patched = re.compile(r"setattr\(\s*(\w*services\b|[\"']\w+\.services\.)")
    offenders = [
        str(path.relative_to(BASE_DIR))
        for path in (BASE_DIR / "tests").rglob("*.py")
        if path.name != "test_layering.py" and patched.search(path.read_text())
    ]
    assert offenders == []
