"""scikit-learn's own estimator checks over every public estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skreg import (
    RegularizedMLPClassifier,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressor,
    RegularizedMLPRegressorCV,
)
from skreg.feature_selection import StabilitySelection

# The CV estimators fit a path per fold; small settings keep the checks quick.
CV_SETTINGS = dict(max_iter=50, alphas=3, cv=3, path_max_iter=10)
# Stability selection fits a path per half-sample: few halves, few rates.
STABILITY_SETTINGS = dict(alphas=3, n_resamples=2, path_max_iter=10, max_false_selections=None)

# Checks a CV estimator fails by nature, with the reason.
WEIGHTS_ARE_NOT_REPEATS = (
    "cross-validation splits repeated samples between folds, while a sample weight "
    "stays in one fold: weights are not repetitions to a CV estimator"
)


def expected_failures(estimator):
    if isinstance(estimator, (RegularizedMLPClassifierCV, RegularizedMLPRegressorCV)):
        return {
            "check_sample_weight_equivalence_on_dense_data": WEIGHTS_ARE_NOT_REPEATS,
            "check_sample_weight_equivalence_on_sparse_data": WEIGHTS_ARE_NOT_REPEATS,
        }
    return {}


@parametrize_with_checks(
    [
        RegularizedMLPClassifier(max_iter=100),
        RegularizedMLPRegressor(max_iter=100),
        RegularizedMLPClassifier(max_iter=100, skip_connection=True),
        RegularizedMLPRegressor(max_iter=100, skip_connection=True),
        RegularizedMLPClassifier(
            max_iter=100, skip_connection=True, hierarchy=2.0, skip_alpha=1e-3
        ),
        RegularizedMLPRegressor(max_iter=100, skip_connection=True, hierarchy=2.0, skip_alpha=1e-3),
        RegularizedMLPClassifierCV(**CV_SETTINGS),
        RegularizedMLPRegressorCV(**CV_SETTINGS),
        RegularizedMLPClassifierCV(**CV_SETTINGS, refit="ensemble"),
        RegularizedMLPRegressorCV(**CV_SETTINGS, refit="ensemble"),
        StabilitySelection(**STABILITY_SETTINGS),
    ],
    expected_failed_checks=expected_failures,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
