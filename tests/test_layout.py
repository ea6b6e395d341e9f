"""The layout's rules, stated once and checked on every run (DESIGN.md "Layout").

- Every feature has a home: photos/search/, photos/explore/, photos/views/ and photos/apis/ hold their
  modules; no ``search_*.py`` or ``*_views.py`` name prefixes stand in for folders.
- recognition/'s pure chain (architecture, weights, taxonomy, inference, pipeline, explain) imports
  neither Django nor the photos app: it runs and is tested as a plain library.
- Only photos/tagging.py and recognition/tasks.py cross between the two apps' code; recognition
  writes no photos table itself.
- Views and APIs read photos only through selectors: no ``Model.objects`` query in the HTTP layer.
- The web process never imports TensorFlow (tests/test_web_process.py runs that in a fresh process).
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PURE_CHAIN = ["efficientnet_lite", "weights", "taxonomy", "inference", "pipeline", "explain"]
HTTP_LAYER = sorted([*ROOT.glob("photos/views/*.py"), *ROOT.glob("photos/apis/*.py")])
# ``Model.objects.none()`` is how a view tells the schema generator its model without querying.
QUERY = re.compile(r"\b[A-Z]\w*\.objects\.(?!none\(\))")


def imported_modules(path: Path) -> set[str]:
    """Return the top-level names of every module ``path`` imports, at any depth of the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_CHAIN)
def test_recognitions_pure_chain_imports_no_django_and_no_photos(module):
    imports = imported_modules(ROOT / "recognition" / f"{module}.py")
    assert not {name for name in imports if name.split(".")[0] in {"django", "photos", "celery", "rest_framework"}}


def test_only_the_tasks_and_commands_of_recognition_reach_into_photos():
    reaching = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "recognition").rglob("*.py")
        if any(name.split(".")[0] == "photos" for name in imported_modules(path))
    }
    assert reaching <= {"recognition/tasks.py", "recognition/management/commands/retag.py"}


def test_features_live_in_wings_not_in_name_prefixes():
    loose = sorted(
        path.name
        for path in (ROOT / "photos").glob("*.py")
        if re.match(r"(search|explore|recommend)\w*\.py$|\w+_views\.py$", path.name)
    )
    assert loose == []
    for wing in ("search", "explore", "views", "apis"):
        assert (ROOT / "photos" / wing / "__init__.py").exists()


@pytest.mark.parametrize("path", HTTP_LAYER, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_views_and_apis_query_no_model_directly(path):
    assert QUERY.findall(path.read_text()) == [], "read through a selector (photos_visible_to and friends)"
