"""The layer contracts in ``.importlinter`` (checked by ``make lint``) cover the code as it is.

import-linter has no "everything but selectors" expression, so the dashboards contract names each
module of the apps it may not import; a module added to an app without being added there would be
importable from the dashboards unchecked.
"""

from __future__ import annotations

import configparser
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
APPS = ["judging", "experiments/abtests", "experiments/suites", "experiments/telemetry"]
ALLOWED = {"selectors", "migrations"}  # migrations are never imported


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
    to_do = _lines(_contract("no-app-imports-root-api")["ignore_imports"])
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
