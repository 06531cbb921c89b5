"""Training a regressor on a scaled target, and folding the scale back into its output layer.

A network trained on a target in the thousands sees gradients, and an
automatic grid of rates, in the thousands too: the grid's rates are off by
the target's scale and the chosen model is over- or under-regularized.  The
CV regressor therefore trains on a scaled target (``scale_target``) and hands
back a network that predicts in the target's own unit:

* identity output (squared error): ``y_s = (y - mean) / sd``, per output, the
  sample-weighted mean and standard deviation.  The network's output
  ``z = a @ W + b`` becomes ``z * sd + mean``, which is the same network with
  ``W * sd`` and ``b * sd + mean``.
* exponential output (Poisson): ``y_s = y / mean``.  ``exp(z) * mean`` is
  ``exp(z + log(mean))``: the output intercept moves by ``log(mean)``.

Folding is exact: the folded network's predictions are the scaled network's,
unscaled.  A constant output (standard deviation 0) or an all-zero Poisson
target keeps the scale 1.
"""

from dataclasses import dataclass

import numpy as np

# A scale below this fraction of the target's magnitude (or an exact zero)
# is treated as a constant target, whose scale stays 1.
_TINY = 1e-12
# Beyond this magnitude a target's squares come near float64's limit (1.8e308).
_HUGE = 1e150


@dataclass(frozen=True)
class TargetScale:
    """The shift and scale of each output, and the output link they fold into."""

    shift: np.ndarray  # (n_outputs,)
    scale: np.ndarray  # (n_outputs,)
    link: str  # "identity" or "exp"

    @classmethod
    def of(cls, y, sample_weight, link):
        """The scale of ``y`` (1-D or 2-D) under ``sample_weight`` (or None)."""
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        w = np.ones(Y.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        if not np.sum(w) > 0:
            w = np.ones(Y.shape[0])
        magnitude = np.max(np.abs(Y), axis=0, initial=0.0)
        # A target whose squares would overflow has its moments taken in
        # units of its magnitude; every other is divided by 1, exactly, and
        # scaled as it always was.
        unit = np.where(magnitude > _HUGE, magnitude, 1.0)
        mean = np.average(Y / unit, axis=0, weights=w) * unit
        if link == "exp":
            usable = mean > _TINY * magnitude
            return cls(np.zeros_like(mean), np.where(usable, mean, 1.0), link)
        spread = np.sqrt(np.average((Y / unit - mean / unit) ** 2, axis=0, weights=w))
        sd = spread * unit
        usable = sd > _TINY * np.maximum(magnitude, 1.0)
        return cls(mean, np.where(usable, sd, 1.0), link)

    def transform(self, y):
        """``y`` in the scaled unit, in its own shape, and in its own dtype
        when that is float32 or wider (float64 otherwise: integer targets,
        and float16, whose 3 digits would round the scaled values)."""
        y = np.asarray(y)
        wide = np.issubdtype(y.dtype, np.floating) and y.dtype.itemsize >= 4
        dtype = y.dtype if wide else np.float64
        scaled = (y.reshape(len(y), -1) - self.shift) / self.scale
        return scaled.reshape(y.shape).astype(dtype, copy=False)

    def fold(self, coefs, intercepts):
        """Copies of the weights whose network predicts in the target's unit."""
        coefs = [W.copy() for W in coefs]
        intercepts = [b.copy() for b in intercepts]
        dtype = intercepts[-1].dtype
        if self.link == "exp":
            intercepts[-1] += np.log(self.scale).astype(dtype)
        else:
            coefs[-1] *= self.scale.astype(dtype)
            intercepts[-1] = (intercepts[-1] * self.scale + self.shift).astype(dtype)
        return coefs, intercepts

    def fold_skip(self, skip):
        """A copy of a skip connection's matrix, in the target's unit (an exp
        link folds the scale into the intercept alone)."""
        if self.link == "exp":
            return skip.copy()
        return skip * self.scale.astype(skip.dtype)

    def fold_weights(self, weights):
        """``_network.fitted_weights`` of a network, as copies whose network
        predicts in the target's unit."""
        coefs, intercepts = self.fold(weights["coefs_"], weights["intercepts_"])
        folded = {"coefs_": coefs, "intercepts_": intercepts}
        if "skip_coef_" in weights:
            folded["skip_coef_"] = self.fold_skip(weights["skip_coef_"])
        return folded

    def fold_into(self, estimator):
        """Fold the scale into a fitted estimator's weights (in place)."""
        estimator.coefs_, estimator.intercepts_ = self.fold(estimator.coefs_, estimator.intercepts_)
        if getattr(estimator, "skip_coef_", None) is not None:
            estimator.skip_coef_ = self.fold_skip(estimator.skip_coef_)
        return estimator


def scaled_target(y, sample_weight, link):
    """``y`` in its scaled unit and its ``TargetScale`` for an output ``link``
    ("identity" or "exp"); with ``link`` None (a classifier, or
    ``scale_target=False``), ``y`` as given and None."""
    if link is None:
        return y, None
    scale = TargetScale.of(y, sample_weight, link)
    return scale.transform(y), scale
