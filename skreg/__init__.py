"""skreg: regularized multilayer perceptrons for scikit-learn, on Numba kernels."""

from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor

__version__ = "0.1.0"
__all__ = ["RegularizedMLPClassifier", "RegularizedMLPRegressor", "__version__"]
