"""The layer contracts in ``.importlinter`` (checked by ``make lint``) cover the code as it is.

The apps may import only public names of ``evalhub.stats``; the contract lists each private module,
so a private module added to the package without being listed would be importable unchecked.

import-linter has no "everything but selectors" expression, so the dashboards contract names each
module of the apps it may not import; a module added to an app without being added there would be
importable from the dashboards unchecked.
"""

from __future__ import annotations

import ast
import configparser
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ["judging", "experiments/abtests", "experiments/suites", "experiments/telemetry"]
ALLOWED = {"selectors", "read_models", "migrations"}  # migrations are never imported


def _contract(name: str) -> configparser.SectionProxy:
    config = configparser.ConfigParser()
    config.read(BASE_DIR / ".importlinter")
    return config[f"importlinter:contract:{name}"]


def _lines(value: str) -> set[str]:
    return {line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")}


def _app_modules(allowed: set[str] = ALLOWED) -> set[str]:
    modules = set()
    for app in APPS:
        for path in (BASE_DIR / app).iterdir():
            name = path.stem if path.suffix == ".py" else path.name
            is_module = path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())
            if is_module and name != "__init__" and name not in allowed:
                modules.add(f"{app.replace('/', '.')}.{name}")
    return modules


def test_dashboards_contract_forbids_every_app_module_but_selectors():
    forbidden = _lines(_contract("dashboards-selectors-only")["forbidden_modules"])
    on_disk = _app_modules()
    assert on_disk - forbidden == set(), "add these modules to forbidden_modules in .importlinter"
    assert forbidden - on_disk == set(), "these forbidden modules no longer exist"
    assert not any(module.endswith(".selectors") for module in forbidden)


def test_failures_contract_forbids_every_app_module_but_selectors_and_services():
    forbidden = _lines(_contract("failures-selectors-and-services-only")["forbidden_modules"])
    on_disk = _app_modules(ALLOWED | {"services"})
    assert on_disk - forbidden == set(), "add these modules to forbidden_modules in .importlinter"
    assert forbidden - on_disk == set(), "these forbidden modules no longer exist"
    assert not any(module.endswith((".selectors", ".services")) for module in forbidden)


def test_only_the_declared_app_to_app_import_is_allowed_without_a_to_do():
    ignored = _lines(_contract("apps-independent")["ignore_imports"])
    declared = {"experiments.abtests.** -> experiments.telemetry.**"}
    # Anything else ignored here must be an import that is also on another contract's to-do list.
    to_do = _lines(_contract("no-app-imports-root-api").get("ignore_imports", ""))
    assert ignored - declared <= to_do, ignored - declared - to_do


def test_stats_contract_forbids_every_other_part_of_the_project():
    forbidden = _lines(_contract("stats-pure")["forbidden_modules"])
    project = {"judging", "experiments"} | {
        f"evalhub.{path.stem if path.suffix == '.py' else path.name}"
        for path in (BASE_DIR / "evalhub").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert project - {"evalhub.stats"} - forbidden == set(), "add these to the stats-pure contract"
    assert {"django", "celery"} <= forbidden


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at any depth (``from x import y`` counts ``x`` and ``x.y``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_dashboards_import_only_the_apps_selectors_and_read_models():
    app_packages = {"judging", "experiments.abtests", "experiments.suites", "experiments.telemetry"}
    reached = set()
    for path in (BASE_DIR / "evalhub" / "dashboards").rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for module in _imported_modules(path):
            app = next((a for a in app_packages if module == a or module.startswith(f"{a}.")), None)
            if app is not None and module != app:  # `from judging import selectors` also lists `judging`
                reached.add(module)
    assert reached, "the dashboards compose the apps' selectors"
    assert {m for m in reached if not {"selectors", "read_models"} & set(m.split("."))} == set()


def test_text_contract_forbids_every_other_part_of_the_project_but_stats():
    forbidden = _lines(_contract("text-pure")["forbidden_modules"])
    project = {"judging", "experiments"} | {
        f"evalhub.{path.stem if path.suffix == '.py' else path.name}"
        for path in (BASE_DIR / "evalhub").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path / "__init__.py").exists()
    }
    assert project - {"evalhub.text", "evalhub.stats"} - forbidden == set(), "add these to the text-pure contract"
    assert {"django", "celery"} <= forbidden
    assert not {"evalhub.stats", "evalhub.text"} & forbidden


def test_stats_public_contract_forbids_every_private_stats_module():
    forbidden = _lines(_contract("stats-public-only")["forbidden_modules"])
    stats = BASE_DIR / "evalhub" / "stats"
    private = {
        ".".join(("evalhub", "stats", *path.relative_to(stats).with_suffix("").parts))
        for path in stats.rglob("_*.py")
        if path.name != "__init__.py"
    }
    assert private, "evalhub.stats has no private modules to guard"
    assert private - forbidden == set(), "add these private modules to the stats-public-only contract"
    assert forbidden - private == set(), "these forbidden modules no longer exist"
