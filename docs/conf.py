"""Sphinx configuration of the skreg documentation.

Build from the repository root with::

    python -m sphinx -b html docs docs/_build/html

or ``make -C docs html``.  Set ``SKREG_DOCS_OFFLINE=1`` to skip the
intersphinx inventories (links to scikit-learn, NumPy and Python) when there
is no network, and ``SKREG_DOCS_NO_GALLERY=1`` to skip running the examples.
"""

import os
import sys
from pathlib import Path

# Document the package in this checkout even when it is not installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sphinx_gallery.sorting import ExplicitOrder  # noqa: E402

import skreg  # noqa: E402

# -- Project ---------------------------------------------------------------

project = "skreg"
author = "the skreg developers"
copyright = "the skreg developers"
version = skreg.__version__
release = skreg.__version__

# -- Extensions ------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# examples/ holds the gallery's sources; Sphinx-Gallery turns them into
# auto_examples/, which is what the toctree includes.
exclude_patterns = [
    "_build",
    "examples",
    "Thumbs.db",
    ".DS_Store",
    "**.ipynb_checkpoints",
]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"

# autosummary writes one page per estimator into docs/generated/.
autosummary_generate = True
autodoc_typehints = "none"

# numpydoc: the estimators' docstrings list their parameters and attributes;
# the methods get their own entries from the class template.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Intersphinx -----------------------------------------------------------

if os.environ.get("SKREG_DOCS_OFFLINE"):
    intersphinx_mapping = {}
else:
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable/", None),
        "sklearn": ("https://scikit-learn.org/stable/", None),
        "skops": ("https://skops.readthedocs.io/en/stable/", None),
    }

# -- Sphinx-Gallery --------------------------------------------------------

# The examples tell one story, in this order; an example missing from the
# list comes after them.
GALLERY_ORDER = [
    "plot_overfitting_moons.py",
    "plot_choosing_alpha.py",
    "plot_weight_distributions.py",
    "plot_group_lasso_selection.py",
    "plot_feature_selection_path.py",
    "plot_weight_decay_vs_l2.py",
    "plot_regularizer_toolbox.py",
    "*",
]

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": ExplicitOrder(GALLERY_ORDER),
    "doc_module": ("skreg",),
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "False" if os.environ.get("SKREG_DOCS_NO_GALLERY") else "True",
}

# -- HTML ------------------------------------------------------------------

html_theme = "alabaster"
html_static_path = ["_static"]
html_title = f"skreg {release}"
html_theme_options = {
    "description": "Regularized MLPs for scikit-learn, on Numba kernels",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}


# -- Labels of scikit-learn's own docs -------------------------------------
#
# The methods inherited from scikit-learn (score, get_metadata_routing,
# set_*_request, set_output) cite labels and glossary terms of scikit-learn's
# documentation. Intersphinx resolves them when it can reach scikit-learn's
# inventory; otherwise (offline builds) they are rendered as plain text
# instead of raising "undefined label" warnings. Only these names are
# handled, so a broken reference in skreg's own pages still warns.

SKLEARN_DOC_LABELS = {
    "accuracy_score",
    "r2_score",
    "metadata_routing",
    "meta-estimator",
    "glossary",
    "user_guide",
    # set_output, which StabilitySelection has as a scikit-learn transformer
    "df_output_transform",
    "sphx_glr_auto_examples_miscellaneous_plot_set_output.py",
}


def _sklearn_label_as_text(app, env, node, contnode):
    if node.get("refdomain") == "std" and node.get("reftarget") in SKLEARN_DOC_LABELS:
        return contnode
    return None


def setup(app):
    # Runs after intersphinx (priority 500) had its chance.
    app.connect("missing-reference", _sklearn_label_as_text, priority=900)
