"""pytest plugin for running scikit-learn's own MLP test suite against skreg.

Loaded with ``-p sklearn_suite_plugin`` before the suite is collected, it
points the names ``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor``
at skreg's estimators, so the suite's ``from sklearn.neural_network import
...`` picks them up.  See ``test_sklearn_suite.py``.
"""

import sklearn.neural_network

from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

sklearn.neural_network.MLPClassifier = RegularizedMLPClassifier
sklearn.neural_network.MLPRegressor = RegularizedMLPRegressor
