"""What skops must be told to trust to load a saved skreg estimator."""

from ._classes import RegularizedMLPClassifier, RegularizedMLPRegressor
from ._cv import RegularizedMLPClassifierCV, RegularizedMLPRegressorCV
from .feature_selection import StabilitySelection

# Every class whose instances a user saves, or a saved estimator holds (a CV
# estimator fitted with refit="ensemble" keeps its fold networks, instances
# of its base class; a stability selector its estimator).  A fitted estimator holds nothing
# else of skreg's: its state is arrays, built-in values and NumPy and
# scikit-learn types that skops trusts by itself (a test checks this over
# every kind of fit), besides the objects the user put in its parameters
# and callbacks (tests/test_persistence_trust.py).
_SAVED_CLASSES = (
    RegularizedMLPClassifier,
    RegularizedMLPRegressor,
    RegularizedMLPClassifierCV,
    RegularizedMLPRegressorCV,
    StabilitySelection,
)


def trusted_types():
    """The names of skreg's types to trust when loading a skreg estimator
    with skops.

    :func:`skops.io.load` builds only the types it trusts by itself (NumPy
    arrays, built-in values, scikit-learn's estimators, ...) and those named
    in its ``trusted`` argument; it refuses a file that holds any other type.
    Of skreg's own types, a saved skreg estimator holds its own class, and
    a CV estimator fitted with ``refit='ensemble'`` its base estimator's
    class as well (the fold networks in ``estimators_``), and a saved
    :class:`~skreg.feature_selection.StabilitySelection` its own class and
    its estimator's.  This function names the four public estimator classes
    and the selector, as :func:`skops.io.get_untrusted_types` reports them:
    under the module that defines each class.

    Objects of the user's that the estimator holds are saved with it, and
    skops asks about their types too; this function leaves them out, since
    they are the user's choice: ``cv`` given as a splitter object (its class,
    such as ``sklearn.model_selection._split.KFold``), ``scoring`` given as a
    scorer object (``sklearn.metrics._scorer._Scorer`` and the metric
    function it wraps), and callbacks set with ``set_callbacks`` (a
    ``ScoringMonitor`` brings its class, ``ListenerHandle`` and
    ``uuid.UUID``; ``est.set_callbacks()`` removes them before saving).
    Review those names in what :func:`skops.io.get_untrusted_types` reports
    and add them.

    It is a function rather than a constant because those modules are
    private and may change between releases: the names are read off the
    classes of the installed skreg, which are the ones a load can build.
    Each call returns a new list, which a caller may extend with the types
    of its own that a saved pipeline holds.

    Returns
    -------
    names : list of str
        ``"module.ClassName"`` of each public estimator class and of the
        selector.

    See Also
    --------
    skops.io.get_untrusted_types : The types of a saved file that skops does
        not trust by itself.

    Examples
    --------
    >>> from skreg import trusted_types
    >>> for name in trusted_types():
    ...     print(name)
    skreg._classes.RegularizedMLPClassifier
    skreg._classes.RegularizedMLPRegressor
    skreg._cv.RegularizedMLPClassifierCV
    skreg._cv.RegularizedMLPRegressorCV
    skreg.feature_selection.StabilitySelection

    With skops installed, a fitted estimator ``est`` is saved with
    ``skops.io.dump(est, "model.skops")`` and loaded with
    ``skops.io.load("model.skops", trusted=trusted_types())``.
    """
    return [f"{cls.__module__}.{cls.__name__}" for cls in _SAVED_CLASSES]
