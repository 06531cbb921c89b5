"""Pictures of fitted skreg estimators, in scikit-learn's Display style.

Each display is built by its ``from_estimator`` classmethod (or from arrays,
by its constructor) and drawn by ``plot``, which returns the display with the
matplotlib artists it drew as attributes. matplotlib is imported when a
display draws, never when this module is imported; without it, drawing
raises an ``ImportError`` that says so.
"""

from ._loss_curve import LossCurveDisplay
from ._regularization_path import RegularizationPathDisplay
from ._stability_path import StabilityPathDisplay

__all__ = ["LossCurveDisplay", "RegularizationPathDisplay", "StabilityPathDisplay"]
