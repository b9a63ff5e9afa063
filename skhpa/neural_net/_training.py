"""HPAClassifier's fit: seeding, checkpoint files and resuming, rollback on interrupt."""

import contextlib
import signal
import threading
import warnings

import numpy as np
from skorch.callbacks import EarlyStopping

from ..utils import check_multilabel_target, check_n_samples
from ._checkpoint import (
    checkpoint_key,
    checkpoint_path,
    kept_checkpoints,
    read_checkpoint,
    release_checkpoint,
    restore_snapshot,
)
from ._seeding import seeded_run


@contextlib.contextmanager
def _ctrl_c_remembered(net):
    """Remember a Ctrl-C (SIGINT) during a fit in ``net._sigint_seen``.

    The KeyboardInterrupt that Python raises for a Ctrl-C can be lost: raised while a
    ``__del__`` or a weakref callback runs, it is printed ("Exception ignored in ...") and
    dropped, and code that catches BaseException drops it too. Training then went on as if
    nothing had happened. The flag survives that: the next batch or epoch raises the
    interrupt again (:meth:`TrainingMixin._raise_if_interrupted`). Only in the main thread
    (where Python delivers signals) and only while Ctrl-C means KeyboardInterrupt (Python's
    own handler): an ignored Ctrl-C or a handler of the user's own is left alone. The
    previous handler is restored afterwards.
    """
    net._sigint_seen = False
    previous = signal.getsignal(signal.SIGINT)
    main = threading.current_thread() is threading.main_thread()
    if not main or previous is not signal.default_int_handler:
        yield
        return

    def handler(signum, frame):
        net._sigint_seen = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        net._sigint_seen = False


def _refuse_sample_weight(net, fit_params):
    """skorch would pass ``sample_weight`` to the module's forward: say what to use instead."""
    if "sample_weight" in fit_params:
        raise ValueError(
            f"{type(net).__name__}.fit does not take sample_weight (the loss weighs every "
            "image alike); to weigh rare classes use balanced_sampling=True, a focal or "
            "soft-F1 loss (criterion), or resample the training set (skhpa.resampling)"
        )


class TrainingMixin:
    """``fit``, ``partial_fit`` and skorch's ``fit_loop``, with checkpoints and rollback."""

    def fit(self, X, y, groups=None, *, X_val=None, y_val=None, **fit_params):
        """Fit the network on images ``X`` and the indicator matrix ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, height, width)
            uint8 or float images, or an ImageLoader lazy array (2-D
            (n_samples, n_features) input works with a 2-D module).
        y : array-like of shape (n_samples, n_classes)
            0/1 indicator matrix.
        groups : array-like of shape (n_samples,), optional
            Groups for the internal validation split (no group on both sides).
        X_val : array-like of shape (n_val_samples, n_channels, height, width), optional
            Validation images, in place of the ``train_split`` part (as
            scikit-learn's ``HistGradientBoostingClassifier.fit`` takes them):
            all of ``X`` is trained on, and ``X_val`` is scored after every
            epoch (``valid_loss``, ``valid_f1``, ``valid_f1_tuned`` in the
            history, hence :class:`~skhpa.plotting.TrainingCurveDisplay`) and
            drives early stopping when ``patience`` is not None. With
            ``patience=None`` it only watches: the training is the same as
            without it (every epoch starts from its own seed).
        y_val : array-like of shape (n_val_samples, n_classes), optional
            The indicator matrix of ``X_val``; required with it.
        **fit_params
            Passed to skorch (and to the module's forward).

        Returns
        -------
        self : HPAClassifier
            The fitted estimator.
        """
        _refuse_sample_weight(self, fit_params)
        X, Y = self._prepare_fit(X, y, reset=not self.warm_start or not self.initialized_)
        # the cosine schedule's cycle starts with this call (a warm start keeps the history)
        self._cycle_start = len(self.history_) if self.warm_start and self.initialized_ else 0
        self._groups = None if groups is None else np.asarray(groups)
        if self._groups is not None and len(self._groups) != len(Y):
            raise ValueError(f"groups has {len(self._groups)} entries but y has {len(Y)} rows")
        self._validation = self._check_validation(X_val, y_val)
        self.interrupted_ = False
        try:
            with _ctrl_c_remembered(self), seeded_run(self):
                state = self._open_checkpoint(X, Y)
                if state is None:
                    self._fitting = True  # skorch's fit calls partial_fit: already prepared
                    try:
                        super().fit(X, Y, **fit_params)
                    finally:
                        self._fitting = False
                else:
                    self._resume(state, X, Y, **fit_params)
            if self._checkpoint_file is not None and not self.interrupted_:
                release_checkpoint(self._checkpoint_file)
        finally:
            self._groups = None
            self._validation = None
            self._snapshot = None
            self._checkpoint_file = None
        return self

    def _check_validation(self, X_val, y_val):
        """The validation data passed to ``fit`` or ``partial_fit``, checked; or None."""
        if X_val is None and y_val is None:
            return None
        if X_val is None or y_val is None:
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{given} was passed without {missing}: pass both or neither")
        try:  # the training images' shape and channels, or a clear error
            X_val = self._check_X(X_val, fitting=False)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"X_val: {exc}") from None
        Y_val = check_multilabel_target(y_val, name="y_val", n_classes=self.n_classes_)
        check_n_samples(X_val, Y_val, y_name="y_val", x_name="X_val")
        return X_val, Y_val

    def _open_checkpoint(self, X, Y):
        """Set the checkpoint file of this run; its state if one exists."""
        self._checkpoint_file = None
        if self.checkpoint_dir is None:
            return None
        self._checkpoint_key = checkpoint_key(self, X, Y)
        self._checkpoint_file = checkpoint_path(self.checkpoint_dir, self._checkpoint_key)
        if not self._checkpoint_file.exists():
            ours = kept_checkpoints()  # those of the networks fitted before in this run
            others = [f for f in self._checkpoint_file.parent.glob("skhpa-*.ckpt") if f not in ours]
            if others:  # e.g. a resume with other parameters: say why it starts over
                self._print_if_verbose(
                    f"{self.checkpoint_dir} holds {len(others)} checkpoint(s) of other runs "
                    "(other parameters or training data), none of this one: training from the "
                    "first epoch"
                )
            return None
        return read_checkpoint(self._checkpoint_file, self._checkpoint_key)

    def _resume(self, state, X, Y, **fit_params):
        self.initialize()
        self.module_.load_state_dict(state["module"])
        self.optimizer_.load_state_dict(state["optimizer"])
        self.history_ = state["history"]
        self._cycle_start = state.get("cycle_start", 0)  # the resumed run's own cosine
        remaining = self.max_epochs - state["epochs"]
        self._print_if_verbose(
            f"Resuming from {self._checkpoint_file} after epoch {state['epochs']} "
            f"({max(remaining, 0)} to go)"
        )
        if remaining > 0:
            super().partial_fit(X, Y, epochs=remaining, **fit_params)

    def _raise_if_interrupted(self):
        if getattr(self, "_sigint_seen", False):
            raise KeyboardInterrupt  # a Ctrl-C whose first KeyboardInterrupt was lost

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        """skorch's epoch (or validation pass), checking for a lost Ctrl-C around it.

        Parameters
        ----------
        iterator : DataLoader
        training : bool
        prefix : str
        step_fn : callable
        **fit_params : dict
            As in skorch's ``NeuralNet.run_single_epoch``.
        """
        self._raise_if_interrupted()
        super().run_single_epoch(iterator, training, prefix, step_fn, **fit_params)
        self._raise_if_interrupted()

    def train_step(self, batch, **fit_params):
        """skorch's training step, after checking for a lost Ctrl-C.

        Parameters
        ----------
        batch : tuple
            The batch's input and target.
        **fit_params : dict

        Returns
        -------
        step : dict
            skorch's step output (``loss``, ``y_pred``).
        """
        self._raise_if_interrupted()
        return super().train_step(batch, **fit_params)

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """The training loop (override of :meth:`skorch.NeuralNet.fit_loop`).

        Runs skorch's loop unchanged; what skhpa adds is the handling of a
        KeyboardInterrupt that is not skorch's early stopping: when it came
        inside an epoch, the network, optimizer and history are rolled back to
        the end of the last completed epoch, ``interrupted_`` is set to True and
        a warning is issued. The interrupt is then re-raised for skorch's
        ``partial_fit`` to handle (it ends training and ``fit`` returns
        normally).

        Parameters
        ----------
        X : array-like, lazy image array or skorch Dataset
            Training images of shape (n_samples, n_channels, height, width),
            as prepared by :meth:`fit`.
        y : array-like of shape (n_samples, n_classes), default=None
            The 0/1 indicator matrix.
        epochs : int or None, default=None
            Number of epochs; None uses ``max_epochs``.
        **fit_params
            Passed to skorch (the split and the module's forward).

        Returns
        -------
        self : HPAClassifier
            The estimator, trained for ``epochs`` more epochs (or until
            stopped).
        """
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            # skorch's EarlyStopping stops training with a KeyboardInterrupt too
            stopped_early = any(
                isinstance(cb, EarlyStopping) and getattr(cb, "misses_", 0) >= cb.patience
                for _, cb in getattr(self, "callbacks_", [])
            )
            if not stopped_early:
                snap = getattr(self, "_snapshot", None)
                if snap is not None and len(self.history) > snap["epochs"]:
                    restore_snapshot(self, snap)  # stopped inside an epoch: roll back
                self.interrupted_ = True
                self._sigint_seen = False  # handled: the rest of fit (e.g. cleanup) runs
                warnings.warn(
                    f"{type(self).__name__}.fit was interrupted; the network is the one of the "
                    f"last completed epoch ({len(self.history)}). partial_fit trains max_epochs "
                    "more epochs from there (a new learning-rate cycle); fit again with the "
                    "same checkpoint_dir to finish this run exactly.",
                    UserWarning,
                    stacklevel=2,
                )
            raise

    def partial_fit(self, X, y=None, classes=None, *, X_val=None, y_val=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initializing (see skorch).

        The first call initializes the network from the data, like ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_channels, height, width)
            As for :meth:`fit`.
        y : array-like of shape (n_samples, n_classes)
            0/1 indicator matrix with the columns of the first fit.
        classes : None
            Unused (the classes are the columns of ``y``); accepted for
            scikit-learn's ``partial_fit`` signature.
        X_val, y_val : array-like, optional
            Validation data, as for :meth:`fit` (scored after each epoch;
            a call with it on a network first fitted without it re-creates the
            callbacks so that it is scored).
        **fit_params
            Passed to skorch (and to the module's forward).

        Returns
        -------
        self : HPAClassifier
            The estimator, trained further.
        """
        if getattr(self, "_fitting", False):  # called by skorch's fit, already prepared
            return super().partial_fit(X, y, classes=classes, **fit_params)
        _refuse_sample_weight(self, fit_params)
        X, Y = self._prepare_fit(X, y, reset=not self.initialized_)
        self._cycle_start = len(self.history_) if self.initialized_ else 0
        self._validation = self._check_validation(X_val, y_val)
        self.interrupted_ = False
        try:
            with _ctrl_c_remembered(self), seeded_run(self):
                if not self.initialized_:
                    self.initialize()
                elif self._validation is not None and "valid_loss" not in dict(self.callbacks_):
                    self.initialize_callbacks()  # the first fit had nothing to score
                super().partial_fit(X, Y, classes=classes, **fit_params)
        finally:
            self._validation = None
            self._snapshot = None
        return self
