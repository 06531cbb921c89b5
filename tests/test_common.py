"""scikit-learn's own estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import RegularizedMLPClassifier, RegularizedMLPRegressor


@parametrize_with_checks(
    [
        RegularizedMLPClassifier(max_iter=100),
        RegularizedMLPRegressor(max_iter=100),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
