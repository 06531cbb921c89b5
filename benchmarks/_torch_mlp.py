"""A plain PyTorch CPU training loop with the layers and settings of the MLPs:
Linear + ReLU, one logit, Adam, L2 as Adam's ``weight_decay`` (added to the
gradient, as scikit-learn's alpha is), a fresh permutation per epoch, 2 threads.
"""

import numpy as np

from _common import ALPHA, LEARNING_RATE, SEED


def to_tensors(X, y):
    """Features in X's dtype, labels as the loss wants them; sets torch's threads."""
    import torch

    torch.set_num_threads(2)
    X_t = torch.from_numpy(np.ascontiguousarray(X))
    return X_t, torch.from_numpy(y.astype(X.dtype).reshape(-1, 1))


def fit(X_t, y_t, hidden, batch_size, epochs):
    """Build a fresh model and train it for ``epochs`` epochs."""
    import torch
    from torch import nn

    torch.manual_seed(SEED)
    sizes = [X_t.shape[1], *hidden]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(sizes[-1], 1)).to(X_t.dtype)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, weight_decay=ALPHA)
    n_samples = X_t.shape[0]
    for _ in range(epochs):
        order = torch.randperm(n_samples)
        for start in range(0, n_samples, batch_size):
            idx = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X_t[idx]), y_t[idx]).backward()
            optimizer.step()
    return model
