"""The cross-validated score and the number of selected features along the
rates of a regularization path, with the chosen rate marked."""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, validate_parameter_constraints
from sklearn.utils.validation import check_is_fitted

from .._cv import _PathCVMixin
from ._plotting import (
    axes_or_new,
    check_matplotlib,
    fill_style,
    final_estimator,
    line_style,
    scoring_name,
    set_rate_scale,
    settings_of_fit,
)


class RegularizationPathDisplay:
    """Cross-validated score and selected features along a regularization path.

    Build it with :meth:`from_estimator` from a fitted
    :class:`~skreg.RegularizedMLPClassifierCV` or
    :class:`~skreg.RegularizedMLPRegressorCV`, or from arrays with the
    constructor; :meth:`plot` draws it. The picture has the rate on a log x
    axis, the mean held-out score with a band of one standard deviation over
    the folds on the left y axis, the mean number of selected input features
    (dashed) on the right y axis, and the chosen rate as a vertical line.
    :meth:`from_estimator` leaves the feature counts out where the penalty
    cannot remove a feature (an L2 penalty alone: no L1 or group term), as
    the count would be flat. Where the estimator's inputs come in blocks
    (``feature_groups``), it counts the blocks in use, which the penalty
    keeps or removes whole, not their columns.

    With several ``l1_ratio`` values, every one gets its curves, each over its
    own rates, in its own color: the comparison between them is part of what
    the search chose from. The vertical line marks the chosen rate, which
    lies on the curve of the chosen ``l1_ratio`` (named in its label).

    Parameters
    ----------
    alphas : array-like of shape (n_alphas,) or (n_curves, n_alphas)
        The rates, one row per curve.

    mean_test_score : array-like of the shape of ``alphas``
        Mean held-out score at each rate.

    std_test_score : array-like of the shape of ``alphas``
        Standard deviation of the held-out scores over the folds.

    mean_n_features_selected : array-like of the shape of ``alphas``, default=None
        Mean number of input features (or blocks of them, see ``counted``)
        with a non-zero outgoing weight; None draws no second axis.

    chosen_alpha : float, default=None
        The rate to mark; None marks none.

    l1_ratios : array-like of shape (n_curves,), default=None
        The ``l1_ratio`` of each curve, for the legend.

    chosen_l1_ratio : float, default=None
        The ``l1_ratio`` of the chosen rate, for the legend.

    path_param : str, default='alpha'
        The parameter the rates are values of, the x axis' label.

    score_name : str, default=None
        The score's name, the y axis' label; None is ``"Score"``.

    counted : str, default='features'
        What ``mean_n_features_selected`` counts, for the legend ("features
        selected") and the second axis' label: 'blocks' where it counts the
        blocks of ``feature_groups`` in use.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The mean score, one line per curve.

    fill_between_ : list of matplotlib PolyCollection
        The band of one standard deviation around each mean score.

    features_lines_ : list of matplotlib Line2D
        The mean number of selected features (or blocks), one line per curve,
        on ``ax2_``; empty when ``mean_n_features_selected`` is None.

    chosen_line_ : matplotlib Line2D or None
        The vertical line at ``chosen_alpha``.

    ax_ : matplotlib Axes
        The axes of the scores.

    ax2_ : matplotlib Axes or None
        The axes of the feature counts, sharing ``ax_``'s x axis.

    figure_ : matplotlib Figure
        The figure of ``ax_``.

    See Also
    --------
    skreg.RegularizedMLPClassifierCV : Chooses the rate along paths.
    LossCurveDisplay : The objective per epoch.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skreg import RegularizedMLPClassifierCV
    >>> from skreg.inspection import RegularizationPathDisplay
    >>> X, y = make_classification(n_samples=200, n_features=8, n_informative=3,
    ...                            n_redundant=0, shuffle=False, random_state=0)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = RegularizedMLPClassifierCV(
    ...     hidden_layer_sizes=(8,), path_param="group_alpha", alphas=4, cv=3,
    ...     max_iter=50, path_max_iter=20, random_state=0,
    ... ).fit(X, y)
    >>> display = RegularizationPathDisplay.from_estimator(clf)
    >>> display.chosen_line_.get_xdata()[0] == clf.alpha_
    True
    """

    def __init__(
        self,
        *,
        alphas,
        mean_test_score,
        std_test_score,
        mean_n_features_selected=None,
        chosen_alpha=None,
        l1_ratios=None,
        chosen_l1_ratio=None,
        path_param="alpha",
        score_name=None,
        counted="features",
    ):
        self.alphas = alphas
        self.mean_test_score = mean_test_score
        self.std_test_score = std_test_score
        self.mean_n_features_selected = mean_n_features_selected
        self.chosen_alpha = chosen_alpha
        self.l1_ratios = l1_ratios
        self.chosen_l1_ratio = chosen_l1_ratio
        self.path_param = path_param
        self.score_name = score_name
        self.counted = counted

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        score_name=None,
        line_kw=None,
        fill_between_kw=None,
        features_line_kw=None,
        chosen_line_kw=None,
    ):
        """Draw the path of a fitted CV estimator from its ``cv_results_``.

        Parameters
        ----------
        estimator : RegularizedMLPClassifierCV or RegularizedMLPRegressorCV
            Fitted; or a fitted pipeline ending in one.

        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        score_name : str, default=None
            The y axis' label; None names the estimator's ``scoring``
            (accuracy or R² when it is None).

        line_kw, fill_between_kw, features_line_kw, chosen_line_kw : dict, default=None
            Keywords for matplotlib, see :meth:`plot`.

        Returns
        -------
        display : RegularizationPathDisplay
            The display, drawn.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        estimator = final_estimator(estimator)
        if not isinstance(estimator, _PathCVMixin):
            raise TypeError(
                f"{cls.__name__}.from_estimator draws the cross-validated path of a "
                "RegularizedMLPClassifierCV or RegularizedMLPRegressorCV, got "
                f"{type(estimator).__name__}."
            )
        check_is_fitted(estimator, "cv_results_")
        results, fitted = estimator.cv_results_, settings_of_fit(estimator)
        n_curves = 1 if np.ndim(estimator.alphas_) == 1 else len(estimator.alphas_)

        def curves(key):
            return np.asarray(results[key], dtype=np.float64).reshape(n_curves, -1)

        blocks = "mean_n_groups_selected" in results  # the inputs have feature_groups
        counts = "mean_n_groups_selected" if blocks else "mean_n_features_selected"
        display = cls(
            alphas=curves(f"param_{fitted.path_param}"),
            mean_test_score=curves("mean_test_score"),
            std_test_score=curves("std_test_score"),
            mean_n_features_selected=curves(counts) if _can_remove_features(fitted) else None,
            chosen_alpha=estimator.alpha_,
            l1_ratios=curves("param_l1_ratio")[:, 0] if "param_l1_ratio" in results else None,
            chosen_l1_ratio=estimator.l1_ratio_,
            path_param=fitted.path_param,
            score_name=scoring_name(estimator, fitted.scoring),
            counted="blocks" if blocks else "features",
        )
        return display.plot(
            ax=ax,
            score_name=score_name,
            line_kw=line_kw,
            fill_between_kw=fill_between_kw,
            features_line_kw=features_line_kw,
            chosen_line_kw=chosen_line_kw,
        )

    def plot(
        self,
        ax=None,
        *,
        score_name=None,
        line_kw=None,
        fill_between_kw=None,
        features_line_kw=None,
        chosen_line_kw=None,
    ):
        """Draw the scores, the feature counts and the chosen rate.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw the scores; the feature counts go on a twin axes
            (``ax.twinx()``). None makes a new figure.

        score_name : str, default=None
            The y axis' label; None uses the display's ``score_name``.

        line_kw : dict, default=None
            Keywords for ``Axes.plot`` drawing the mean scores.

        fill_between_kw : dict, default=None
            Keywords for ``Axes.fill_between`` drawing the bands.

        features_line_kw : dict, default=None
            Keywords for ``Axes.plot`` drawing the feature counts.

        chosen_line_kw : dict, default=None
            Keywords for ``Axes.axvline`` drawing the chosen rate.

        Returns
        -------
        display : RegularizationPathDisplay
            This display, with the artists as attributes.
        """
        self._check_chosen()
        rates, means, stds, features = self._curves()
        counted = self._counted()
        ax = axes_or_new(ax, f"{type(self).__name__}.plot")
        ax2 = None if features is None else ax.twinx()
        names = self._curve_names(len(rates))

        self.lines_, self.fill_between_, self.features_lines_ = [], [], []
        for k, name in enumerate(names):
            color = f"C{k}"
            defaults = {"color": color, "marker": "o", "markersize": 3}
            (line,) = ax.plot(
                rates[k],
                means[k],
                **line_style({**defaults, "label": f"mean CV score{name}"}, line_kw),
            )
            band = ax.fill_between(
                rates[k],
                means[k] - stds[k],
                means[k] + stds[k],
                **fill_style(
                    {
                        "color": color,
                        "alpha": 0.2,
                        "linewidth": 0,
                        "label": f"± 1 std over folds{name}",
                    },
                    fill_between_kw,
                ),
            )
            self.lines_.append(line)
            self.fill_between_.append(band)
            if ax2 is not None:
                style = {**defaults, "linestyle": "--", "label": f"{counted} selected{name}"}
                (count,) = ax2.plot(rates[k], features[k], **line_style(style, features_line_kw))
                self.features_lines_.append(count)

        self.chosen_line_ = None
        if self.chosen_alpha is not None:
            label = f"chosen {self.path_param} = {self.chosen_alpha:.3g}"
            if self.chosen_l1_ratio is not None and len(rates) > 1:
                label += f", l1_ratio = {self.chosen_l1_ratio:g}"
            style = line_style({"color": "k", "linestyle": ":", "label": label}, chosen_line_kw)
            self.chosen_line_ = ax.axvline(self.chosen_alpha, **style)

        set_rate_scale(ax, rates)
        ax.set_xlabel(self.path_param)
        ax.set_ylabel(score_name or self.score_name or "Score")
        if ax2 is not None:
            ax2.set_ylabel(f"mean number of {counted} selected")
            ax2.set_ylim(bottom=0)
        # each curve's mean and band together, then the chosen rate, then the counts
        handles = [artist for pair in zip(self.lines_, self.fill_between_) for artist in pair]
        handles += [self.chosen_line_] if self.chosen_line_ is not None else []
        handles += self.features_lines_
        handles = [h for h in handles if not h.get_label().startswith("_")]
        (ax if ax2 is None else ax2).legend(handles=handles, fontsize="small")

        self.ax_, self.ax2_, self.figure_ = ax, ax2, ax.figure
        return self

    def _curves(self):
        """The rates and the values as 2-D float arrays, one row per curve,
        checked against each other."""
        rates = np.asarray(self.alphas, dtype=np.float64)
        if rates.ndim not in (1, 2) or rates.size == 0:
            raise ValueError(
                "alphas must be a non-empty 1-D array, or 2-D with one row per curve; "
                f"got shape {rates.shape}."
            )
        rates = rates.reshape(-1, rates.shape[-1])

        def like_rates(name, value):
            value = np.asarray(value, dtype=np.float64)
            if value.size != rates.size:
                raise ValueError(
                    f"{name} has shape {value.shape}; it needs one value per rate, "
                    f"as alphas, of shape {np.shape(self.alphas)}."
                )
            return value.reshape(rates.shape)

        features = self.mean_n_features_selected
        return (
            rates,
            like_rates("mean_test_score", self.mean_test_score),
            like_rates("std_test_score", self.std_test_score),
            None if features is None else like_rates("mean_n_features_selected", features),
        )

    def _counted(self):
        """``counted``, checked: a name for the legend."""
        if not isinstance(self.counted, str) or not self.counted.strip():
            raise ValueError(
                "counted must be a non-empty str naming what mean_n_features_selected "
                f"counts ('features' or 'blocks'), got {self.counted!r}."
            )
        return self.counted

    def _check_chosen(self):
        """The chosen rate and l1_ratio, which the legend prints, checked as
        numbers in the ranges the CV estimators search."""
        validate_parameter_constraints(
            {
                "chosen_alpha": [Interval(Real, 0, None, closed="left"), None],
                "chosen_l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
            },
            {"chosen_alpha": self.chosen_alpha, "chosen_l1_ratio": self.chosen_l1_ratio},
            caller_name=type(self).__name__,
        )

    def _curve_names(self, n_curves):
        """What tells the curves apart in the legend: their l1_ratio, when
        there are several and it is known."""
        if self.l1_ratios is None:
            return [""] * n_curves
        ratios = self._l1_ratios()
        # Checked with one curve too: ratios for curves that are not there
        # mean the arrays do not go together.
        if len(ratios) != n_curves:
            raise ValueError(
                f"l1_ratios gives {len(ratios)} values for {n_curves} curve(s) of alphas: "
                "it needs the l1_ratio of each curve, one per row of a 2-D alphas."
            )
        if n_curves == 1:
            return [""]
        return [f" (l1_ratio = {ratio:g})" for ratio in ratios]

    def _l1_ratios(self):
        """``l1_ratios`` as a 1-D float array of values in [0, 1]."""
        try:
            ratios = np.asarray(self.l1_ratios, dtype=np.float64)
        except (TypeError, ValueError):
            ratios = None
        if ratios is None or ratios.ndim != 1 or np.any(~((ratios >= 0) & (ratios <= 1))):
            raise ValueError(
                "l1_ratios must be a 1-D sequence of numbers in [0, 1], one per curve; got "
                f"{self.l1_ratios!r}."
            )
        return ratios


def _can_remove_features(settings):
    """Whether the penalty of a CV estimator's fit (its ``settings_of_fit``)
    can set a feature's weights to exactly zero: the hierarchy's penalty on
    the skip weights (moved by the path or fixed), an L1 part
    (``penalty='l1'``, or elastic net with some ``l1_ratio`` above 0) applied
    by proximal steps (the subgradient method gives no exact zeros), or a
    group term (moved by the path or fixed), except beside a skip
    connection, whose weights it leaves alone."""
    if settings.path_param == "skip_alpha" or (
        settings.hierarchy and np.any(np.asarray(settings.skip_alpha) > 0)
    ):
        return True
    if _proximal_l1(settings):
        return True
    if settings.skip_connection:
        return False
    return settings.path_param == "group_alpha" or np.any(np.asarray(settings.group_alpha) > 0)


def _proximal_l1(settings):
    if settings.l1_method != "proximal":
        return False
    if settings.penalty == "l1":
        return True
    return settings.penalty == "elasticnet" and np.any(np.asarray(settings.l1_ratio) > 0)
