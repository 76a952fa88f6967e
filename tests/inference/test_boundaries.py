"""inference/ is plain Python: it never imports Django, so any worker can run it."""

import ast
import subprocess
import sys
from pathlib import Path

from config.env import BASE_DIR
from tests.services import child_environment

PACKAGE = BASE_DIR / "inference"
PROJECT_APPS = ("django", "rest_framework", "config", "accounts", "generations", "reviews", "feedback", "celery")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_of_the_package_imports_django_or_the_apps():
    offenders = {
        str(path.relative_to(BASE_DIR)): sorted(imported_modules(path) & set(PROJECT_APPS))
        for path in PACKAGE.rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_importing_and_running_the_cli_loads_no_django():
    script = (
        "import sys, inference, inference.__main__\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'celery', 'config'})\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_web_side_prices_and_validates_without_loading_torch():
    script = (
        "import sys, django\n"
        "django.setup()\n"
        "import config.urls, generations.api, generations.tasks\n"
        "from generations.pricing import plan, price\n"
        "print(price(plan(preset_name='tiny', duration_s=1.125, resolution=64, aspect_ratio='1:1', fps=8)))\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env=child_environment(DJANGO_SETTINGS_MODULE="config.settings"),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["2", "False"]
