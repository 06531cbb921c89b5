"""Each feature's selection probability along the rates of a stability selection, the threshold
and the selected features marked."""

from numbers import Real

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from ..feature_selection import StabilitySelection
from ._plotting import (
    axes_or_new,
    check_matplotlib,
    line_style,
    set_rate_scale,
    settings_of_fit,
)


class StabilityPathDisplay:
    """Selection probability of each input feature along the rates.

    Build it with :meth:`from_estimator` from a fitted
    :class:`~skreg.feature_selection.StabilitySelection`, or from arrays with
    the constructor; :meth:`plot` draws it. The picture has the rate on a log
    x axis and one line per feature: the selected features in color, with
    their names in the legend, the others in grey; a horizontal line at the
    threshold, and a vertical one at the smallest rate considered.

    Parameters
    ----------
    alphas : array-like of shape (n_rates,)
        The rates.

    selection_probabilities : array-like of shape (n_features, n_rates)
        Each feature's selection probability at each rate.

    threshold : float
        The probability a feature must reach to be selected.

    support : array-like of bool of shape (n_features,), default=None
        The selected features; None highlights none.

    feature_names : array-like of str of shape (n_features,), default=None
        The names in the legend; None names them ``x0``, ``x1``, ...

    alpha_min : float, default=None
        The smallest rate considered, marked by a vertical line; None marks
        none.

    path_param : str, default='group_alpha'
        The parameter the rates are values of, the x axis' label.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per feature, in the features' order.

    threshold_line_ : matplotlib Line2D
        The horizontal line at the threshold.

    alpha_min_line_ : matplotlib Line2D or None
        The vertical line at ``alpha_min``.

    ax_ : matplotlib Axes
        The axes drawn on.

    figure_ : matplotlib Figure
        The figure of ``ax_``.

    See Also
    --------
    skreg.feature_selection.StabilitySelection : Computes the probabilities.
    RegularizationPathDisplay : The cross-validated score along a path.

    Examples
    --------
    >>> import numpy as np
    >>> from skreg import RegularizedMLPRegressor
    >>> from skreg.feature_selection import StabilitySelection
    >>> from skreg.inspection import StabilityPathDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 5)
    >>> y = 2 * X[:, 0] + 0.3 * rng.randn(200)
    >>> selector = StabilitySelection(
    ...     RegularizedMLPRegressor(hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.01),
    ...     alphas=4, n_resamples=2, random_state=0,
    ... ).fit(X, y)
    >>> display = StabilityPathDisplay.from_estimator(selector)
    >>> len(display.lines_)
    5
    """

    def __init__(
        self,
        *,
        alphas,
        selection_probabilities,
        threshold,
        support=None,
        feature_names=None,
        alpha_min=None,
        path_param="group_alpha",
    ):
        self.alphas = alphas
        self.selection_probabilities = selection_probabilities
        self.threshold = threshold
        self.support = support
        self.feature_names = feature_names
        self.alpha_min = alpha_min
        self.path_param = path_param

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, line_kw=None, selected_line_kw=None):
        """Draw the probabilities of a fitted ``StabilitySelection``.

        Parameters
        ----------
        estimator : StabilitySelection
            Fitted; or a fitted pipeline with one among its steps (as
            ``make_pipeline(StandardScaler(), StabilitySelection(...),
            model)`` has).

        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        line_kw, selected_line_kw : dict, default=None
            Keywords for matplotlib, see :meth:`plot`.

        Returns
        -------
        display : StabilityPathDisplay
            The display, drawn.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        estimator = _selector_in(estimator, cls.__name__)
        check_is_fitted(estimator, "selection_probabilities_")
        probabilities, support, names = _lines(estimator)
        fitted = settings_of_fit(estimator)
        display = cls(
            alphas=estimator.alphas_,
            selection_probabilities=probabilities,
            threshold=fitted.threshold,
            support=support,
            feature_names=names,
            alpha_min=estimator.alpha_min_,
            path_param=fitted.path_param,
        )
        return display.plot(ax=ax, line_kw=line_kw, selected_line_kw=selected_line_kw)

    def plot(self, ax=None, *, line_kw=None, selected_line_kw=None):
        """Draw the probabilities, the threshold and the smallest rate considered.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        line_kw : dict, default=None
            Keywords for ``Axes.plot`` drawing the features not selected.

        selected_line_kw : dict, default=None
            Keywords for ``Axes.plot`` drawing the selected features.

        Returns
        -------
        display : StabilityPathDisplay
            This display, with the artists as attributes.
        """
        self._check_marks()
        rates, probabilities, support, names = self._arrays()
        ax = axes_or_new(ax, f"{type(self).__name__}.plot")
        self.lines_ = []
        n_selected = 0
        for j, (row, name) in enumerate(zip(probabilities, names)):
            if support[j]:
                defaults = {"color": f"C{n_selected % 10}", "linewidth": 2, "label": name}
                style = line_style(defaults, selected_line_kw)
                n_selected += 1
            else:
                defaults = {"color": "0.7", "linewidth": 1, "label": "_" + name}
                style = line_style(defaults, line_kw)
            (line,) = ax.plot(rates, row, **style)
            self.lines_.append(line)
        self.threshold_line_ = ax.axhline(
            self.threshold, color="k", linestyle="--", label=f"threshold = {self.threshold:g}"
        )
        self.alpha_min_line_ = None
        if self.alpha_min is not None:
            label = f"smallest rate considered = {self.alpha_min:.3g}"
            self.alpha_min_line_ = ax.axvline(self.alpha_min, color="k", linestyle=":", label=label)
        set_rate_scale(ax, rates)
        ax.set_xlabel(self.path_param)
        ax.set_ylabel("selection probability")
        ax.set_ylim(-0.02, 1.02)
        ax.legend(fontsize="small")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _check_marks(self):
        """The threshold and the smallest rate considered, which the lines
        mark and the legend prints, checked as numbers: the threshold in the
        range the selector takes."""
        validate_parameter_constraints(
            {
                "threshold": StabilitySelection._parameter_constraints["threshold"],
                "alpha_min": [Interval(Real, 0, None, closed="left"), None],
            },
            {"threshold": self.threshold, "alpha_min": self.alpha_min},
            caller_name=type(self).__name__,
        )

    def _arrays(self):
        """The rates, the probabilities, the support and the names, checked
        against each other."""
        rates = np.asarray(self.alphas, dtype=np.float64)
        probabilities = np.asarray(self.selection_probabilities, dtype=np.float64)
        if rates.ndim != 1 or probabilities.ndim != 2 or probabilities.shape[1] != rates.size:
            raise ValueError(
                "selection_probabilities must have shape (n_features, n_rates), with one "
                f"column per rate of alphas; got {probabilities.shape} and alphas of shape "
                f"{rates.shape}."
            )
        n_features = probabilities.shape[0]
        support = np.zeros(n_features, dtype=bool) if self.support is None else self.support
        support = np.asarray(support, dtype=bool)
        names = self.feature_names
        names = [f"x{j}" for j in range(n_features)] if names is None else list(map(str, names))
        if support.shape != (n_features,) or len(names) != n_features:
            raise ValueError(
                f"support and feature_names need one entry per feature ({n_features}); got "
                f"{support.shape[0]} and {len(names)}."
            )
        return rates, probabilities, support, names


def _selector_in(estimator, caller):
    """The StabilitySelection ``estimator`` is, or the one step of a
    pipeline that is one; TypeError otherwise."""
    if isinstance(estimator, Pipeline):
        found = [step for _, step in estimator.steps if isinstance(step, StabilitySelection)]
        if len(found) == 1:
            return found[0]
        raise TypeError(
            f"{caller}.from_estimator draws a fitted StabilitySelection; the pipeline has "
            f"{len(found)} among its steps. Pass the one to draw."
        )
    if not isinstance(estimator, StabilitySelection):
        raise TypeError(
            f"{caller}.from_estimator draws a fitted StabilitySelection, got "
            f"{type(estimator).__name__}."
        )
    return estimator


def _lines(selector):
    """The probabilities, support and names of the display's lines: one per
    block of the estimator's ``feature_groups`` (``groups_``), else one per
    feature."""
    groups = getattr(selector, "groups_", None)
    if groups is None:
        return selector.selection_probabilities_, selector.support_, _feature_names(selector)
    return selector.group_selection_probabilities_, selector.group_support_, list(groups)


def _feature_names(selector):
    """The names of the selector's input features (``x0``, ... without names)."""
    names = getattr(selector, "feature_names_in_", None)
    if names is None:
        return [f"x{j}" for j in range(selector.n_features_in_)]
    return list(names)
