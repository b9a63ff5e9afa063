"""HPAClassifier's default callbacks: validation scores, schedule, seeding, snapshots, stopping.

The history keys they write: ``train_loss`` and, with a validation split, ``valid_loss``,
``valid_f1`` (macro-F1 at the net's ``threshold``) and ``valid_f1_tuned`` (macro-F1 with each
class's best threshold, which early stopping monitors).
"""

import re
import sys

import numpy as np
import torch
from sklearn.metrics import f1_score
from skorch.callbacks import (
    EarlyStopping,
    EpochScoring,
    EpochTimer,
    LRScheduler,
    PassthroughScoring,
    PrintLog,
    ProgressBar,
)

from ..thresholding import apply_thresholds, best_fbeta_scores
from ._checkpoint import EpochState
from ._seeding import EpochSeeding


def valid_macro_f1(net, X, y):
    """Epoch-level macro-F1 on the whole validation split, at the net's thresholds."""
    P = net._proba_without_tta(X)
    pred = apply_thresholds(P, net._threshold_vector(), net.min_labels)
    return f1_score(np.asarray(y), pred, average="macro", zero_division=0.0)


def valid_macro_f1_tuned(net, X, y):
    """Epoch-level macro-F1 on the validation split with each class's best threshold.

    What a ThresholdOptimizer can reach: it measures how well the network
    ranks each class, independently of the 0.5 threshold that keeps the plain
    macro-F1 at 0 for rare classes in the first epochs (early stopping on that
    would stop at epoch 1). Classes without positives in the split are left out.
    """
    scores = best_fbeta_scores(np.asarray(y), net._proba_without_tta(X))
    scores = scores[~np.isnan(scores)]
    return float(np.mean(scores)) if len(scores) else 0.0


class CosineCycle(LRScheduler):
    """Cosine annealing from ``lr`` over ``max_epochs``: one cycle per training call.

    skorch's LRScheduler places the scheduler at the length of the history. After a
    completed ``fit``, a ``partial_fit`` (or a ``warm_start`` fit) then runs past the end of
    the cosine, whose learning rate falls to 0 and climbs back (a restart nobody asked
    for), and a network loaded with :func:`skhpa.load_model` (no optimizer state) cannot
    train at all (torch's ``initial_lr`` KeyError). Here the position is the number of
    epochs of the current cycle (``net._cycle_start``: the history's length when the
    call began): ``fit``, ``partial_fit`` and a ``warm_start`` fit each run a cosine over
    ``max_epochs`` epochs from ``lr``; a fit resumed from its checkpoint continues its own.
    """

    def __init__(self, policy=torch.optim.lr_scheduler.CosineAnnealingLR, **kwargs):
        # LRScheduler's parameters, so that clone (get_params -> __init__) works
        super().__init__(policy=policy, **kwargs)

    def _get_scheduler(self, net, policy, **kwargs):
        done = max(len(net.history) - getattr(net, "_cycle_start", 0), 0)
        groups = net.optimizer_.param_groups
        for group in groups:
            group.setdefault("initial_lr", group["lr"])  # a fresh optimizer: its lr
            if done == 0:  # a new cycle starts from the top: ``lr`` as it is set now
                if len(groups) == 1:
                    group["initial_lr"] = net.lr
                group["lr"] = group["initial_lr"]
        return policy(net.optimizer_, T_max=net.max_epochs, last_epoch=done - 1)


def _silent(*args, **kwargs):
    """A sink that prints nothing (``verbose=0``)."""


def _interactive():
    """Output goes to a terminal or a notebook, where progress bars and colours render."""
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def _print_plain(*args, **kwargs):
    """The epoch table without skorch's colour codes (for logs and pipes)."""
    print(*(re.sub(r"\x1b\[[0-9;]*m", "", str(a)) for a in args), **kwargs)


def default_callbacks(net):
    """The (name, callback) list of ``net.get_default_callbacks()``, in calling order."""
    callbacks = [
        ("epoch_timer", EpochTimer()),
        ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
    ]
    # a validation split, or validation data passed to fit (X_val, y_val)
    validated = net.train_split is not None or getattr(net, "_validation", None) is not None
    if validated:
        callbacks += [
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            ("valid_f1", EpochScoring(valid_macro_f1, lower_is_better=False, name="valid_f1")),
            (
                "valid_f1_tuned",
                EpochScoring(valid_macro_f1_tuned, lower_is_better=False, name="valid_f1_tuned"),
            ),
        ]
    if net.lr_schedule == "cosine":
        callbacks.append(("lr_scheduler", CosineCycle()))
    # after the scheduler (the state the next epoch starts from), before early stopping
    callbacks += [("epoch_seeding", EpochSeeding()), ("epoch_state", EpochState())]
    if validated and net.patience is not None:
        stopping = EarlyStopping(
            monitor="valid_f1_tuned",
            lower_is_better=False,
            patience=net.patience,
            threshold=0.0,
            load_best=True,
            sink=print if net.verbose else _silent,  # not a method of net: get_params
        )
        callbacks.append(("early_stopping", stopping))
    if net.verbose and _interactive():
        callbacks += [("print_log", PrintLog()), ("progress_bar", ProgressBar())]
    elif net.verbose:  # a log file or a pipe: no colour codes, no progress bar's \r updates
        callbacks.append(("print_log", PrintLog(sink=_print_plain)))
    return callbacks
