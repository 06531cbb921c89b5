"""scikit-learn's callback API (``sklearn.callback``, scikit-learn >= 1.9) on
skreg's estimators.

A fit is a task and each of its epochs (L-BFGS iterations) a subtask; a CV
estimator's paths and their rates are tasks in between (``skreg._cv``).  The
trainer knows nothing of callbacks: ``EpochCallbacks`` hears its epochs, as any
``EpochListener``, and opens and closes the epoch tasks.  With an older
scikit-learn the API is simply absent: the estimators have no
``set_callbacks`` and every function here does nothing.
"""

import re
from contextlib import contextmanager, nullcontext

import sklearn

from ._training import EpochListener

# The first scikit-learn with ``sklearn.callback``.
FIRST_VERSION = (1, 9)


def version_tuple(version):
    """(major, minor) of a version string: ``"1.10.dev0"`` is (1, 10)."""
    match = re.match(r"(\d+)\.(\d+)", version)
    return (int(match[1]), int(match[2])) if match else (0, 0)


def callback_api(version):
    """What skreg takes from scikit-learn's callback API, or None where
    scikit-learn ``version`` has none: its ``CallbackSupportMixin`` and the
    set-up and tear-down of the callbacks around a fit.

    The latter is a private helper of ``sklearn.callback`` (the public
    ``with_callbacks`` wraps a whole method with it, and a path needs it as a
    ``with`` block); this module is the only one in skreg that knows the API's
    internals, and the test suite fails, rather than skips, if a scikit-learn
    that has the API loses them.
    """
    if version_tuple(version) < FIRST_VERSION:
        return None
    try:
        from sklearn.callback import CallbackSupportMixin
        from sklearn.callback._callback_support import callback_management_context
    except ImportError:
        return None
    return CallbackSupportMixin, callback_management_context


_API = callback_api(sklearn.__version__)
AVAILABLE = _API is not None
if AVAILABLE:
    # scikit-learn's ``_fit_context``, which decorates every fit method, also
    # sets the callbacks up and tears them down around it.
    CallbackSupportMixin, callback_management_context = _API
else:  # scikit-learn < 1.9: the estimators have no set_callbacks

    class CallbackSupportMixin:
        """Stands in for scikit-learn's mixin where it does not exist."""

    def callback_management_context(estimator):
        return nullcontext()


def fit_context(estimator, max_subtasks):
    """The root task of a fit, or None without callback support."""
    if not AVAILABLE:
        return None
    return _owned(estimator._init_callback_context(max_subtasks=max_subtasks), estimator)


def path_context(estimator, n_rates):
    """The root task of a path trained for ``estimator`` (whose callbacks
    hear it), or None without callbacks."""
    if not AVAILABLE or not getattr(estimator, "_skl_callbacks", None):
        return None
    context = estimator._init_callback_context(task_name="path", max_subtasks=n_rates)
    return _owned(context, estimator)


# The tasks of a path are run by a copy of the estimator (the network being
# trained), but their hooks belong to the estimator whose callbacks they are:
# callbacks such as ScoringMonitor keep per-estimator state from their setup.
# scikit-learn's contexts do not hold their estimator, so skreg marks each
# root task with its owner; every task below it finds it through its parents.
def _owned(context, owner):
    context._skreg_owner = owner
    return context


def _owner(context, default):
    """The estimator whose callbacks ``context``'s hooks call."""
    while context is not None:
        owner = getattr(context, "_skreg_owner", None)
        if owner is not None:
            return owner
        context = context.parent
    return default


def managed(estimator):
    """Set-up and tear-down of ``estimator``'s callbacks around a path, as
    scikit-learn does around a fit."""
    return callback_management_context(estimator)


def begin(context, estimator, X, y, sample_weight):
    if context is not None:
        context.call_on_fit_task_begin(
            estimator=_owner(context, estimator), X=X, y=y, metadata=_metadata(sample_weight)
        )


def end(context, estimator, X, y, sample_weight, reconstruction_attributes=None):
    """End a task of ``estimator`` (the network trained); True when a callback
    asks to stop.  Without ``reconstruction_attributes`` the task's model is
    the network as it is then."""
    if context is None:
        return False
    owner = _owner(context, estimator)
    if reconstruction_attributes is None:
        reconstruction_attributes = lambda: fitted_state(estimator, owner)  # noqa: E731
    return context.call_on_fit_task_end(
        estimator=owner,
        X=X,
        y=y,
        metadata=_metadata(sample_weight),
        reconstruction_attributes=reconstruction_attributes,
    )


@contextmanager
def fit_as_task(context, estimator, X, y, sample_weight):
    """Run ``estimator``'s fit as the task ``context`` (a leaf), as
    scikit-learn's searches do: the fit's own root task takes the leaf's
    place, and the callbacks it inherits hear it from there."""
    if context is None:
        yield
        return
    try:
        with context.propagate_callback_context(estimator):
            begin(context, estimator, X, y, sample_weight)
            yield
    finally:
        end(context, estimator, X, y, sample_weight)


@contextmanager
def fitting(estimator, max_subtasks, X, y, sample_weight):
    """What a fit does for its callbacks around its training, for code that
    trains ``estimator`` as its fit would without calling it (a path's first
    step, within ``fit_as_task``): their set-up and tear-down, and the fit's
    root task with ``max_subtasks`` epochs, which it yields (None without
    callback support).  The task ends only when the block succeeds, as a
    fit's does."""
    with managed(estimator):
        context = fit_context(estimator, max_subtasks)
        begin(context, estimator, X, y, sample_weight)
        yield context
        end(context, estimator, X, y, sample_weight, reconstruction_attributes={})


@contextmanager
def task(context, estimator, X=None, y=None, sample_weight=None):
    """A task around a block of work: begin, then end on the way out."""
    begin(context, estimator, X, y, sample_weight)
    try:
        yield context
    finally:
        end(context, estimator, X, y, sample_weight)


def _metadata(sample_weight):
    return None if sample_weight is None else {"sample_weight": sample_weight}


def fitted_attributes(estimator):
    """What a fit changes, by attribute name: everything but the constructor
    parameters and scikit-learn's callback bookkeeping (set with
    ``set_callbacks`` and by the callback machinery around a fit)."""
    params = estimator.get_params(deep=False)
    bookkeeping = ("_skl_callbacks", "_callback_fit_ctx", "_parent_callback_ctx")
    return {
        name: value
        for name, value in vars(estimator).items()
        if name not in params and not name.startswith(bookkeeping)
    }


def take_fitted_state(target, source, dropped=(), **replaced):
    """Make ``target`` fitted as ``source`` is: every attribute a fit
    defines (``fitted_attributes``), but those named in ``dropped``, with the
    values of ``replaced`` in place of theirs."""
    for name, value in fitted_attributes(source).items():
        if name not in dropped:
            setattr(target, name, value)
    for name in dropped:
        vars(target).pop(name, None)
    for name, value in replaced.items():
        setattr(target, name, value)


def fitted_state(estimator, owner):
    """What makes a copy of ``owner`` predict as ``estimator`` does now (None
    while it has no weights): copies of the weights, and, when the owner is
    another estimator (a path's), the rest of the network's fitted state."""
    if not hasattr(estimator, "coefs_"):
        return None
    weights = {
        "coefs_": [W.copy() for W in estimator.coefs_],
        "intercepts_": [b.copy() for b in estimator.intercepts_],
    }
    if getattr(estimator, "skip_coef_", None) is not None:
        weights["skip_coef_"] = estimator.skip_coef_.copy()
    if owner is estimator:
        return weights
    return {**fitted_attributes(estimator), **weights}


class EpochCallbacks(EpochListener):
    """Opens a subtask of ``context`` for every epoch and closes it with the
    epoch's model (a copy of the estimator as it is then, for callbacks that
    score it); a callback that asks to stop stops the training."""

    def __init__(self, estimator, context, X, y, sample_weight):
        self.estimator, self.context = estimator, context
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.open = None

    def on_epoch_begin(self, epoch):
        self.open = self.context.subcontext(task_name="epoch")
        begin(self.open, self.estimator, self.X, self.y, self.sample_weight)

    def on_epoch_end(self, report):
        opened, self.open = self.open, None
        return end(opened, self.estimator, self.X, self.y, self.sample_weight)

    def on_training_end(self):
        # An epoch begun but never finished (an interrupt, L-BFGS's last
        # begin): close it, so that every task that began also ends.
        if self.open is not None:
            self.on_epoch_end(None)


def epoch_listeners(estimator, context, X, y, sample_weight):
    """The listeners that report a fit's epochs to its callbacks: none when
    it has no callback to hear them (its epochs may then run several to a
    kernel call, ``skreg._training``)."""
    if context is None or not getattr(_owner(context, estimator), "_skl_callbacks", None):
        return ()
    return (EpochCallbacks(estimator, context, X, y, sample_weight),)
