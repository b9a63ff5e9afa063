"""Interrupted fits roll back to the last completed epoch; checkpoints resume bit for bit."""

import errno
import signal

import numpy as np
import pytest
from skorch.callbacks import Callback

from skhpa import HPAClassifier
from skhpa.datasets import make_hpa_like
from skhpa.nn import SeedCNN

KW = dict(max_epochs=4, batch_size=32, train_split=None, device="cpu", random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_hpa_like(96, image_size=32, label_distribution="flat", random_state=0)


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (as Ctrl-C would) after one batch of epoch ``epoch``."""

    def __init__(self, epoch, armed=True):
        self.epoch = epoch
        self.armed = armed

    def on_batch_end(self, net, training=False, **kwargs):
        if self.armed and training and len(net.history) == self.epoch:
            if len(net.history[-1]["batches"]) == 1:
                raise KeyboardInterrupt


def test_interrupt_rolls_back_to_last_completed_epoch(data):
    X, Y = data
    kw = dict(KW, lr_schedule=None)
    with pytest.warns(UserWarning, match="last completed epoch \\(2\\)"):
        net = HPAClassifier(SeedCNN, callbacks=[InterruptAt(3)], **kw).fit(X, Y)
    assert net.interrupted_ and len(net.history) == 2
    two = HPAClassifier(SeedCNN, **dict(kw, max_epochs=2)).fit(X, Y)
    assert not two.interrupted_
    np.testing.assert_array_equal(net.predict_proba(X), two.predict_proba(X))
    # training goes on from there
    net.callbacks[0].armed = False
    net.partial_fit(X, Y)
    assert len(net.history) == 2 + kw["max_epochs"] and not net.interrupted_


class InterruptBetweenEpochs(Callback):
    """Raise KeyboardInterrupt once epoch ``epoch`` ended (Ctrl-C while a checkpoint is written)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            raise KeyboardInterrupt


def test_interrupt_between_epochs_is_reported(data):
    X, Y = data
    with pytest.warns(UserWarning, match="last completed epoch \\(2\\)"):
        net = HPAClassifier(SeedCNN, callbacks=[InterruptBetweenEpochs(2)], **KW).fit(X, Y)
    assert net.interrupted_ and len(net.history) == 2


class SwallowedCtrlC(Callback):
    """A real SIGINT at the end of epoch ``epoch`` whose KeyboardInterrupt some code drops
    (as Python does for one raised inside a ``__del__``)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) == self.epoch:
            try:
                signal.raise_signal(signal.SIGINT)
            except KeyboardInterrupt:
                pass  # lost


@pytest.fixture
def python_ctrl_c_handler():
    """Python's own Ctrl-C handler, also when this process started with SIGINT ignored (a
    background job of a non-interactive shell inherits that, and then no Ctrl-C arrives)."""
    original = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, original)


def test_a_lost_ctrl_c_still_stops_the_fit(data, python_ctrl_c_handler):
    X, Y = data
    before = signal.getsignal(signal.SIGINT)
    with pytest.warns(UserWarning, match="last completed epoch \\(2\\)"):
        net = HPAClassifier(SeedCNN, callbacks=[SwallowedCtrlC(2)], **KW).fit(X, Y)
    # without the remembered Ctrl-C, training went on to epoch 4 and reported nothing
    assert net.interrupted_ and len(net.history) == 2
    assert signal.getsignal(signal.SIGINT) is before  # the handler is restored
    # and a later fit is not stopped by the old Ctrl-C
    assert not HPAClassifier(SeedCNN, **dict(KW, max_epochs=1)).fit(X, Y).interrupted_


def test_a_users_own_ctrl_c_handler_is_left_alone(data):
    X, Y = data
    seen = []
    original = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        net = HPAClassifier(SeedCNN, callbacks=[SwallowedCtrlC(2)], **KW).fit(X, Y)
        # the user's handler ran, did not ask to stop, and is still the handler
        assert seen == [signal.SIGINT] and not net.interrupted_ and len(net.history) == 4
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, original)


def test_checkpoint_resume_is_bit_identical(data, tmp_path):
    X, Y = data
    full = HPAClassifier(SeedCNN, **KW).fit(X, Y)  # cosine schedule, augmentation
    stop = InterruptAt(3)
    with pytest.warns(UserWarning, match="interrupted"):
        net = HPAClassifier(SeedCNN, callbacks=[stop], checkpoint_dir=tmp_path, **KW).fit(X, Y)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and net.interrupted_
    stop.armed = False
    resumed = HPAClassifier(SeedCNN, callbacks=[stop], checkpoint_dir=tmp_path, **KW).fit(X, Y)
    assert not resumed.interrupted_
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]
    np.testing.assert_array_equal(resumed.history[:, "train_loss"], full.history[:, "train_loss"])
    np.testing.assert_array_equal(resumed.predict_proba(X), full.predict_proba(X))
    assert list(tmp_path.iterdir()) == []  # removed once the fit completed


def test_ctrl_c_inside_torch_save_is_an_interrupt(data, tmp_path, monkeypatch):
    """torch's zip writer turns a Ctrl-C inside torch.save into a RuntimeError on closing."""
    import torch

    X, Y = data
    real_save, calls = torch.save, []

    def save(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second epoch's checkpoint
            f.write(b"PK half a file")
            try:
                raise KeyboardInterrupt
            except KeyboardInterrupt:
                raise RuntimeError("[enforce fail at inline_container.cc] unexpected pos") from None
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    with pytest.warns(UserWarning, match="interrupted"):
        net = HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, **KW).fit(X, Y)
    assert net.interrupted_ and len(net.history) == 2  # the epoch had completed
    (path,) = tmp_path.iterdir()  # the first epoch's file, whole; no half-written one
    monkeypatch.setattr(torch, "save", real_save)
    resumed = HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, **KW).fit(X, Y)
    assert [h["epoch"] for h in resumed.history] == [1, 2, 3, 4]


class FullDisk:
    """A file whose writes fail as on a full disk after ``room`` bytes."""

    def __init__(self, f, room):
        self.f, self.room = f, room

    def write(self, b):
        self.room -= len(b)
        if self.room < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self.f.write(b)

    def __getattr__(self, name):
        return getattr(self.f, name)


def test_a_full_disk_is_named_not_torchs_unexpected_pos(data, tmp_path, monkeypatch):
    import torch

    X, Y = data
    real_save = torch.save
    monkeypatch.setattr(torch, "save", lambda obj, f, **kw: real_save(obj, FullDisk(f, 4096)))
    with pytest.raises(OSError, match="No space left on device") as exc:
        HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, **KW).fit(X, Y)
    assert exc.value.errno == errno.ENOSPC and exc.value.filename.endswith(".ckpt")
    assert list(tmp_path.iterdir()) == []  # no half-written checkpoint


def test_keeping_checkpoints_keeps_a_completed_fits_file_to_resume(data, tmp_path, capsys):
    from skhpa.neural_net._checkpoint import keeping_checkpoints

    X, Y = data
    kw = dict(KW, max_epochs=2, verbose=1)
    with keeping_checkpoints() as kept:
        first = HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, **kw).fit(X, Y)
        assert list(tmp_path.iterdir()) == kept and len(kept) == 1
        # another network of the same run: the first one's file is not "another run's"
        HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, lr=5e-3, **kw).fit(X, Y)
    assert "other runs" not in capsys.readouterr().out and len(kept) == 2
    # fitting the first again (as after a Ctrl-C later in the run) takes its finished state
    again = HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, **kw).fit(X, Y)
    assert "after epoch 2 (0 to go)" in capsys.readouterr().out
    np.testing.assert_array_equal(again.predict_proba(X), first.predict_proba(X))
    assert len(list(tmp_path.iterdir())) == 1  # outside keeping_checkpoints: removed


class CountFits(Callback):
    fits = 0

    def on_train_begin(self, net, **kwargs):
        type(self).fits += 1


def test_an_interrupted_fold_stops_the_fold_ensemble(data):
    from skhpa import ThresholdOptimizer

    X, Y = data
    net = HPAClassifier(SeedCNN, callbacks=[InterruptAt(2), CountFits()], **KW)
    CountFits.fits = 0
    with pytest.warns(UserWarning, match="interrupted"), pytest.raises(KeyboardInterrupt):
        ThresholdOptimizer(net, cv=3, refit=False).fit(X, Y)
    assert CountFits.fits == 1  # folds 2 and 3 were not trained


def test_checkpoint_files_are_per_run(data, tmp_path):
    X, Y = data
    stop = InterruptAt(2)
    for kw in ({"lr": 1e-3}, {"lr": 2e-3}):
        with pytest.warns(UserWarning):
            HPAClassifier(SeedCNN, callbacks=[stop], checkpoint_dir=tmp_path, **kw, **KW).fit(X, Y)
    with pytest.warns(UserWarning):  # another training set (as another CV fold)
        HPAClassifier(SeedCNN, callbacks=[stop], checkpoint_dir=tmp_path, **KW).fit(X[:80], Y[:80])
    assert len(list(tmp_path.iterdir())) == 3


def test_corrupt_checkpoint_is_reported(data, tmp_path):
    X, Y = data
    with pytest.warns(UserWarning):
        HPAClassifier(SeedCNN, callbacks=[InterruptAt(2)], checkpoint_dir=tmp_path, **KW).fit(X, Y)
    (path,) = tmp_path.iterdir()
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="is not readable.*delete it to start over"):
        HPAClassifier(SeedCNN, checkpoint_dir=tmp_path, **KW).fit(X, Y)


def test_early_stopping_is_not_an_interrupt(data):
    X, Y = data
    net = HPAClassifier(
        SeedCNN, max_epochs=6, patience=1, train_split=0.25, device="cpu", random_state=0, lr=1e-6
    ).fit(X, Y)
    assert len(net.history) < 6 and not net.interrupted_


def test_cosine_schedule_runs_one_cycle_per_training_call(data, tmp_path):
    from skhpa import load_model, save_model

    X, Y = data
    X, Y = X[:32], Y[:32]
    cycle = [0.001, 0.00075, 0.00025]  # cosine from lr over max_epochs=3, one value per epoch

    def lrs(net):
        return [round(v, 8) for v in net.history[:, "event_lr"]]

    net = HPAClassifier(SeedCNN, **dict(KW, max_epochs=3, lr=0.001)).fit(X, Y)
    assert lrs(net) == cycle
    # partial_fit: max_epochs more epochs, a new cycle (not past the cosine's end, where
    # the learning rate fell to 0 and climbed back)
    net.partial_fit(X, Y)
    assert lrs(net) == cycle * 2
    # a loaded network has no optimizer state (no torch 'initial_lr'): it trains on too
    save_model(net, tmp_path / "n.skhpa")
    loaded = load_model(tmp_path / "n.skhpa").partial_fit(X, Y)
    assert lrs(loaded) == cycle * 3
    # with its default validation split too (fit's groups are absent in a loaded network)
    split = HPAClassifier(SeedCNN, **dict(KW, max_epochs=1, train_split="auto")).fit(X, Y)
    save_model(split, tmp_path / "s.skhpa")
    assert len(load_model(tmp_path / "s.skhpa").partial_fit(X, Y).history) == 2
    # a warm-started fit is a new cycle from the lr set now
    net.set_params(warm_start=True, lr=0.01).fit(X, Y)
    assert lrs(net) == cycle * 2 + [10 * v for v in cycle]
