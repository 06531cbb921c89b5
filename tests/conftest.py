"""Shared fixtures and helpers of the test suite.

Helpers that tests import by name live here too (``from conftest import
...``): the kernel-argument records built from a test's plain values.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import skreg._config as C

import naive as N


@pytest.fixture(scope="session")
def digits_split():
    """Digits, 70/30 stratified split, standardized on the training part:
    ``(X_train, X_test, y_train, y_test)``."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def reg_record(
    n_layers,
    alpha=0.0,
    rho=0.0,
    group_alpha=0.0,
    max_norm=None,
    dropout=0.0,
    l1_method="proximal",
    decay=0.0,
    input_noise=0.0,
    group_factors=None,
    group_blocks=None,
    skip_connection=False,
):
    """The kernels' ``Regularization`` record, built by the package's own
    builder from a test's plain values: ``rho`` is the L1 share of ``alpha``;
    ``dropout`` and ``max_norm`` may give one value per weight layer (inputs
    first; a max_norm of 0 means no bound); ``group_factors`` one factor per
    input feature of the group term (per block with ``group_blocks``, the
    block of each input feature)."""
    rates = N.per_layer(dropout, n_layers)
    reg = C.regularization(
        n_layers,
        penalty="elasticnet",
        alpha=alpha,
        l1_ratio=rho,
        l1_method=l1_method,
        group_alpha=group_alpha,
        input_dropout=rates[0],
        dropout=rates[1:] or 0.0,
        weight_decay=decay,
        input_noise=input_noise,
        group_weights=group_factors,
        feature_groups=None if group_blocks is None else list(group_blocks),
        n_features=len(group_factors if group_blocks is None else group_blocks)
        if group_factors is not None or group_blocks is not None
        else None,
        skip_connection=skip_connection,
    )
    if group_blocks is not None:  # numbered as given, not by first appearance
        reg = reg._replace(group_blocks=np.asarray(group_blocks, dtype=np.int64))
    if max_norm is not None:
        reg = reg._replace(max_norm=np.array(N.per_layer(max_norm, n_layers)))
    return reg


def settings_record(
    activation="tanh",
    loss="identity",
    solver="sgd",
    batch_size=1,
    momentum=0.0,
    nesterov=False,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    **not_settings,
):
    """The kernels' ``Settings`` record from a test's plain values (a test's
    solver dict may also hold ``lr``, ``decay`` and ``input_noise``, which
    belong to other records and are ignored here)."""
    return C.settings(
        activation=activation,
        leaky_relu_slope=N.LEAKY_RELU_SLOPE,
        out_activation=loss,
        solver=solver,
        batch_size=batch_size,
        momentum=momentum,
        nesterovs_momentum=nesterov,
        beta_1=beta1,
        beta_2=beta2,
        epsilon=eps,
    )
