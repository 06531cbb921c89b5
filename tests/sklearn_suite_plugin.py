"""pytest plugin for running scikit-learn's own MLP test suite against skreg.

Loaded with ``-p sklearn_suite_plugin``, it points the names
``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` at skreg's
estimators before the suite is collected, so the suite's ``from
sklearn.neural_network import ...`` picks them up.  The swap happens in the
``pytest_configure`` hook, not on import, so that merely importing this file
(doctest collection does) changes nothing.  See ``test_sklearn_suite.py``.
"""


def pytest_configure(config):
    import sklearn.neural_network

    from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor

    sklearn.neural_network.MLPClassifier = RegularizedMLPClassifier
    sklearn.neural_network.MLPRegressor = RegularizedMLPRegressor


def pytest_terminal_summary(terminalreporter):
    import sklearn.neural_network

    module = sklearn.neural_network.MLPClassifier.__module__
    terminalreporter.write_line(f"MLP estimators under test come from: {module}")
