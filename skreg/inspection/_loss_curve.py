"""The training objective per epoch, the validation score when early stopping
ran, and where a path moved to its next rate."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._plotting import axes_or_new, check_matplotlib, final_estimator, line_style, scoring_name


class LossCurveDisplay:
    """The training objective per epoch, and the validation score when early
    stopping ran.

    Build it with :meth:`from_estimator` from any fitted skreg estimator (its
    ``loss_curve_`` and ``validation_scores_``), or from arrays with the
    constructor; :meth:`plot` draws it. The objective is the one training
    minimizes, data loss plus penalty (see the user guide). With validation
    scores, they go on a second y axis, and a vertical line marks the epoch
    whose score was best: the weights early stopping kept.

    For a CV estimator, ``loss_curve_`` runs along the whole path on all the
    data up to the chosen rate: the first rate's fit, then every step, each
    at a larger rate than the one before, so the objective grows along them.
    It jumps where a new rate begins: dashed vertical lines mark those epochs
    (the estimator's ``loss_curve_rate_starts_``; a path's
    ``loss_curve_rate_starts`` given to the constructor).

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        The objective after each epoch.

    validation_scores : array-like of shape (n_epochs,), default=None
        The validation score after each epoch; None draws no second axis.

    x_name : str, default='epoch'
        What one step of the x axis is (``'iteration'`` for L-BFGS).

    score_name : str, default=None
        The validation score's name; None is ``"validation score"``.

    rate_starts : array-like of shape (n_rates,), default=None
        Where each rate of a path begins in ``loss_curve`` (indices; the
        first, 0, gets no line); None marks none.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The objective.

    validation_line_ : matplotlib Line2D or None
        The validation score, on ``ax2_``.

    best_line_ : matplotlib Line2D or None
        The vertical line at the epoch of the best validation score.

    rate_lines_ : list of matplotlib Line2D
        The vertical lines between the last epoch of a rate and the first
        of the next (one legend entry for all); empty without ``rate_starts``.

    ax_ : matplotlib Axes
        The axes of the objective.

    ax2_ : matplotlib Axes or None
        The axes of the validation score, sharing ``ax_``'s x axis.

    figure_ : matplotlib Figure
        The figure of ``ax_``.

    See Also
    --------
    RegularizationPathDisplay : Scores along a regularization path.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from skreg import RegularizedMLPClassifier
    >>> from skreg.inspection import LossCurveDisplay
    >>> X, y = make_moons(n_samples=200, noise=0.3, random_state=0)
    >>> clf = RegularizedMLPClassifier(hidden_layer_sizes=(16,), early_stopping=True,
    ...                                random_state=0).fit(X, y)
    >>> display = LossCurveDisplay.from_estimator(clf)
    >>> len(display.line_.get_ydata()) == clf.n_iter_
    True

    The objective along a path, with its rate changes marked:

    >>> from skreg import regularization_path
    >>> path = regularization_path(X, y, estimator=RegularizedMLPClassifier(
    ...     hidden_layer_sizes=(8,), max_iter=30, random_state=0), n_alphas=3)
    >>> display = LossCurveDisplay(
    ...     loss_curve=path.loss_curve, rate_starts=path.loss_curve_rate_starts).plot()
    >>> len(display.rate_lines_)
    2
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_scores=None,
        x_name="epoch",
        score_name=None,
        rate_starts=None,
    ):
        self.loss_curve = loss_curve
        self.validation_scores = validation_scores
        self.x_name = x_name
        self.score_name = score_name
        self.rate_starts = rate_starts

    @classmethod
    def from_estimator(
        cls, estimator, *, ax=None, line_kw=None, validation_line_kw=None, rate_line_kw=None
    ):
        """Draw a fitted estimator's ``loss_curve_`` and ``validation_scores_``,
        and for a CV estimator where each rate of its path begins.

        The validation score is named after the estimator's ``scoring``
        (accuracy or R² when it is None or absent).

        Parameters
        ----------
        estimator : estimator with ``loss_curve_``
            A fitted skreg estimator (or scikit-learn MLP trained by sgd or
            adam); or a fitted pipeline ending in one.

        ax : matplotlib Axes, default=None
            Where to draw; None makes a new figure.

        line_kw, validation_line_kw, rate_line_kw : dict, default=None
            Keywords for matplotlib, see :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.
        """
        check_matplotlib(f"{cls.__name__}.from_estimator")
        estimator = final_estimator(estimator)
        check_is_fitted(estimator)
        if getattr(estimator, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(estimator).__name__} has no loss_curve_ to draw: "
                f"{cls.__name__} needs an estimator that records its loss per epoch."
            )
        lbfgs = getattr(estimator, "solver", None) == "lbfgs"
        display = cls(
            loss_curve=estimator.loss_curve_,
            validation_scores=getattr(estimator, "validation_scores_", None),
            x_name="iteration" if lbfgs else "epoch",
            score_name="validation " + scoring_name(estimator, getattr(estimator, "scoring", None)),
            rate_starts=getattr(estimator, "loss_curve_rate_starts_", None),
        )
        return display.plot(
            ax=ax,
            line_kw=line_kw,
            validation_line_kw=validation_line_kw,
            rate_line_kw=rate_line_kw,
        )

    def plot(
        self,
        ax=None,
        *,
        line_kw=None,
        validation_line_kw=None,
        best_line_kw=None,
        rate_line_kw=None,
    ):
        """Draw the objective, and the validation score when there is one.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw the objective; the validation score goes on a twin
            axes (``ax.twinx()``). None makes a new figure.

        line_kw : dict, default=None
            Keywords for ``Axes.plot`` drawing the objective.

        validation_line_kw : dict, default=None
            Keywords for ``Axes.plot`` drawing the validation score.

        best_line_kw : dict, default=None
            Keywords for ``Axes.axvline`` marking the best epoch.

        rate_line_kw : dict, default=None
            Keywords for ``Axes.axvline`` marking where each rate begins.

        Returns
        -------
        display : LossCurveDisplay
            This display, with the artists as attributes.
        """
        losses, scores = self._curves()
        ax = axes_or_new(ax, f"{type(self).__name__}.plot")
        epochs = np.arange(1, len(losses) + 1)
        style = line_style({"color": "C0", "label": "training objective"}, line_kw)
        (self.line_,) = ax.plot(epochs, losses, **style)
        ax.set_xlabel(self.x_name)
        ax.set_ylabel("objective (data loss + penalty)")
        handles = [self.line_]
        self.rate_lines_ = self._draw_rate_starts(ax, len(losses), rate_line_kw)
        handles += self.rate_lines_[:1]

        self.ax2_, self.validation_line_, self.best_line_ = None, None, None
        if scores is not None:
            name = self.score_name or "validation score"
            self.ax2_ = ax.twinx()
            style = line_style({"color": "C1", "label": name}, validation_line_kw)
            (self.validation_line_,) = self.ax2_.plot(epochs, scores, **style)
            self.ax2_.set_ylabel(name)
            best = 1 + int(np.argmax(scores))
            style = {"color": "k", "linestyle": ":", "label": f"best {name}: {self.x_name} {best}"}
            self.best_line_ = ax.axvline(best, **line_style(style, best_line_kw))
            handles += [self.validation_line_, self.best_line_]
        (ax if self.ax2_ is None else self.ax2_).legend(handles=handles, fontsize="small")

        self.ax_, self.figure_ = ax, ax.figure
        return self

    def _draw_rate_starts(self, ax, n_epochs, rate_line_kw):
        """A vertical line before the first epoch of each rate but the
        first, labelled once."""
        starts = self._rate_starts(n_epochs)
        label = f"next rate of the path ({len(starts)} changes)"
        style = line_style(
            {"color": "0.5", "linestyle": "--", "linewidth": 0.8, "label": label}, rate_line_kw
        )
        lines = []
        for start in starts:
            lines.append(ax.axvline(start + 0.5, **style))
            style = {**style, "label": "_nolegend_"}
        return lines

    def _rate_starts(self, n_epochs):
        """The distinct indices in (0, n_epochs] where a rate begins (a rate
        that trained no epoch begins where the next one does)."""
        if self.rate_starts is None:
            return np.array([], dtype=np.int64)
        starts = np.asarray(self.rate_starts)
        if (
            starts.ndim != 1
            or starts.dtype.kind not in "iu"
            or np.any(starts < 0)
            or np.any(starts > n_epochs)
        ):
            raise ValueError(
                "rate_starts must be a 1-D array of indices into loss_curve, between 0 and "
                f"its length {n_epochs}; got {self.rate_starts!r}."
            )
        return np.unique(starts[starts > 0])

    def _curves(self):
        losses = np.asarray(self.loss_curve, dtype=np.float64)
        if losses.ndim != 1 or losses.size == 0:
            raise ValueError(
                f"loss_curve must be a non-empty 1-D sequence, got shape {losses.shape}."
            )
        if self.validation_scores is None:
            return losses, None
        scores = np.asarray(self.validation_scores, dtype=np.float64)
        if scores.shape != losses.shape:
            raise ValueError(
                f"validation_scores has shape {scores.shape}; it needs one score per "
                f"{self.x_name}, as loss_curve, of shape {losses.shape}."
            )
        return losses, scores
