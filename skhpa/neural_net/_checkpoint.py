"""Epoch-level state of a training run: in-memory snapshots and resumable checkpoint files.

After every completed epoch :class:`EpochState` keeps a copy of the network's and the
optimizer's state. An interrupted fit (KeyboardInterrupt in the middle of an epoch) rolls back
to it, so the model is the one of the last completed epoch. With ``checkpoint_dir`` the same
state also goes to a file (written atomically, read with ``torch.load(weights_only=True)``),
named by a key of the estimator's parameters and the training data: fitting the same
estimator on the same data again resumes from it, and the parallel fits of a grid search each
write their own file. A resumed run ends as the uninterrupted one because every epoch is
seeded from the run's seed and its number (``_seeding.py``).
"""

import contextlib
import contextvars
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch
from skorch.callbacks import Callback

from ..utils import atomic_write

FORMAT = "skhpa-checkpoint"
FORMAT_VERSION = 1

# parameters that do not change what is learned (left out of the checkpoint key)
_NOT_IN_KEY = {"checkpoint_dir", "verbose", "device", "num_workers", "callbacks", "warm_start"}


def _to_cpu(obj):
    if torch.is_tensor(obj):
        return obj.detach().to("cpu", copy=True)
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_cpu(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_to_cpu(v) for v in obj)
    return obj


def history_to_json(history):
    """A skorch History as a JSON string (numpy scalars and tensors as numbers)."""

    def plain(v):
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
            return v.item()
        return v if v is None or isinstance(v, (bool, int, float, str)) else str(v)

    return json.dumps(plain(history.to_list()))


def _param_repr(v):
    text = repr(v)
    return type(v).__name__ if " at 0x" in text else text


def checkpoint_key(net, X, Y):
    """A hex key of the estimator's parameters, the training data and any validation data."""
    h = hashlib.sha256()
    h.update(type(net).__qualname__.encode())
    for k, v in sorted(net.get_params(deep=False).items()):
        if k not in _NOT_IN_KEY:
            h.update(f"{k}={_param_repr(v)};".encode())
    data = [(X, Y)]
    validation = getattr(net, "_validation", None)  # fit(..., X_val=, y_val=)
    if validation is not None:
        data.append(validation)
    for X, Y in data:
        h.update(repr((tuple(X.shape), str(X.dtype))).encode())
        h.update(np.ascontiguousarray(Y).tobytes())
        n = X.shape[0]
        for i in sorted({0, n // 2, n - 1}):
            h.update(np.ascontiguousarray(np.asarray(X[i])).tobytes())
    return h.hexdigest()[:20]


_KEPT = contextvars.ContextVar("skhpa_kept_checkpoints", default=None)


@contextlib.contextmanager
def keeping_checkpoints():
    """Within: a fit that completes keeps its checkpoint file instead of removing it.

    For a run that fits several networks in a row (``skhpa train``: the feature model's,
    the CNN, fold models): an interruption after one of them completed keeps its work, and
    fitting it again "resumes" with 0 epochs to go. Yields the list of the files kept this
    way; the caller removes them once the run's result is saved.
    """
    kept = []
    token = _KEPT.set(kept)
    try:
        yield kept
    finally:
        _KEPT.reset(token)


def release_checkpoint(path):
    """A completed fit's checkpoint: removed, or kept for :func:`keeping_checkpoints`."""
    kept = _KEPT.get()
    if kept is None:
        path.unlink(missing_ok=True)
    elif path not in kept:
        kept.append(path)


def kept_checkpoints():
    """The files kept so far by the enclosing :func:`keeping_checkpoints` (else none)."""
    return list(_KEPT.get() or [])


def checkpoint_path(directory, key):
    return Path(os.fspath(directory)) / f"skhpa-{key}.ckpt"


def take_snapshot(net):
    return {
        "epochs": len(net.history),
        "module": _to_cpu(net.module_.state_dict()),
        "optimizer": _to_cpu(net.optimizer_.state_dict()),
    }


def restore_snapshot(net, snap):
    net.module_.load_state_dict(snap["module"])
    net.optimizer_.load_state_dict(snap["optimizer"])
    del net.history_[snap["epochs"] :]


def write_checkpoint(path, net, snap, key):
    state = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "key": key,
        "epochs": snap["epochs"],
        "module": snap["module"],
        "optimizer": snap["optimizer"],
        "history": history_to_json(net.history),
        "cycle_start": getattr(net, "_cycle_start", 0),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as fh:  # names the file if a write fails (a full disk)
        try:
            torch.save(state, fh)
        except RuntimeError as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):
                # a Ctrl-C inside torch.save: its zip writer fails closing the half-written
                # file ("unexpected pos") and hides the interruption, which is what happened
                raise KeyboardInterrupt from None
            if isinstance(exc.__context__, OSError):  # the write that failed, not the pos
                raise exc.__context__ from None
            raise


def read_checkpoint(path, key):
    """Load a checkpoint file (tensors and plain values only: nothing is unpickled)."""
    from skorch.history import History

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(
            f"checkpoint {path} is not readable ({exc}); delete it to start over"
        ) from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not a skhpa checkpoint; delete it to start over")
    if state.get("key") != key:
        raise ValueError(f"checkpoint {path} belongs to another run (key mismatch)")
    state["history"] = History(json.loads(state["history"]))
    return state


class EpochState(Callback):
    """Snapshot after each epoch (and checkpoint file). Internal."""

    def on_train_begin(self, net, **kwargs):
        net._snapshot = take_snapshot(net)

    def on_epoch_end(self, net, **kwargs):
        net._snapshot = take_snapshot(net)
        path = getattr(net, "_checkpoint_file", None)
        if path is not None:
            write_checkpoint(path, net, net._snapshot, net._checkpoint_key)
