"""A plain PyTorch CPU training loop with the layers and settings of the MLPs.

Same layers (Linear + ReLU, one logit for two classes), Adam with the same
learning rate, L2 through Adam's ``weight_decay`` (added to the gradient, as
scikit-learn's alpha is), the same batch size, a fresh permutation per epoch,
and 2 threads.
"""

import numpy as np

from _common import ALPHA, LEARNING_RATE, SEED

THREADS = 2


def setup_threads():
    import torch

    torch.set_num_threads(THREADS)


def to_tensors(X, y):
    """Features in X's dtype, labels as the loss wants them."""
    import torch

    X_t = torch.from_numpy(np.ascontiguousarray(X))
    n_classes = int(y.max()) + 1
    if n_classes == 2:
        y_t = torch.from_numpy(y.astype(X.dtype).reshape(-1, 1))
    else:
        y_t = torch.from_numpy(y.astype(np.int64))
    return X_t, y_t, n_classes


def build_model(n_features, hidden, n_classes, dtype):
    import torch
    from torch import nn

    layers = []
    sizes = [n_features, *hidden]
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    layers.append(nn.Linear(sizes[-1], 1 if n_classes == 2 else n_classes))
    model = nn.Sequential(*layers).to(dtype)
    loss = nn.BCEWithLogitsLoss() if n_classes == 2 else nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=ALPHA)
    return model, loss, optimizer


def fit(X_t, y_t, n_classes, hidden, batch_size, epochs):
    """Build a fresh model and train it for ``epochs`` epochs."""
    import torch

    torch.manual_seed(SEED)
    model, loss_fn, optimizer = build_model(X_t.shape[1], hidden, n_classes, X_t.dtype)
    n_samples = X_t.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n_samples)
        for start in range(0, n_samples, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(X_t[idx]), y_t[idx])
            loss.backward()
            optimizer.step()
    return model
