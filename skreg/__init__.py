"""skreg: regularized multilayer perceptrons for scikit-learn, on Numba kernels."""

from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._cv import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV
from ._feature_groups import feature_groups_from
from ._path import regularization_path
from ._persistence import trusted_types

__version__ = "0.1.0"
__all__ = [
    "RegularizedMLPClassifier",
    "RegularizedMLPClassifierCV",
    "RegularizedMLPRegressor",
    "RegularizedMLPRegressorCV",
    "feature_groups_from",
    "regularization_path",
    "trusted_types",
    "__version__",
]
