"""skreg takes from scikit-learn and Numba their public names, except the
few listed here, each with why it has no public home."""

import ast
from pathlib import Path

import skreg

PACKAGE = Path(skreg.__file__).parent

# (module, name) -> why skreg imports it although it is private.
ALLOWED = {
    **{
        ("sklearn.utils._param_validation", name): (
            "the constraint classes of _parameter_constraints, which every "
            "scikit-learn-style estimator declares: scikit-learn has no public home for them"
        )
        for name in ("HasMethods", "Interval", "InvalidParameterError", "Options", "StrOptions")
    },
    ("sklearn.utils._param_validation", "validate_parameter_constraints"): (
        "regularization_path, a function, checks its parameters against the same "
        "constraints as the estimators; no public equivalent"
    ),
    ("sklearn.base", "_fit_context"): (
        "the decorator of every fit: parameter validation and, from 1.9, the callbacks' "
        "set-up and tear-down; no public equivalent"
    ),
    ("sklearn.utils.validation", "_check_sample_weight"): (
        "sample_weight checked and converted as scikit-learn's estimators do; no public "
        "equivalent, and a copy would drift from their rules"
    ),
    ("sklearn.utils", "_safe_indexing"): (
        "public despite its name: documented in scikit-learn's API reference"
    ),
    ("sklearn.callback._callback_support", "callback_management_context"): (
        "the callbacks' set-up and tear-down around a path (a with block; the public "
        "with_callbacks wraps only whole methods); in skreg._callbacks alone, behind its "
        "version check"
    ),
}


def private_imports():
    """Every (module, name) that a skreg module imports from scikit-learn or
    Numba, where the module or the name is private (starts with "_")."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                pairs = [(node.module, alias.name) for alias in node.names]
            elif isinstance(node, ast.Import):
                pairs = [(alias.name, "") for alias in node.names]
            else:
                continue
            for module, name in pairs:
                parts = module.split(".")
                if parts[0] not in ("sklearn", "numba"):
                    continue
                if any(part.startswith("_") for part in parts + [name]):
                    found.setdefault((module, name), []).append(path.name)
    return found


def test_private_imports_are_only_the_listed_ones():
    found = private_imports()
    unlisted = {key: files for key, files in found.items() if key not in ALLOWED}
    assert not unlisted, f"private imports not in ALLOWED: {unlisted}"
    stale = set(ALLOWED) - set(found)
    assert not stale, f"ALLOWED lists imports that no module makes any more: {stale}"


def test_callback_internals_stay_in_one_module():
    for (module, name), files in private_imports().items():
        if module.startswith("sklearn.callback"):
            assert files == ["_callbacks.py"], (module, name, files)
