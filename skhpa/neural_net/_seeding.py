"""How a fit is seeded: one run seed, torch's RNG forked around the fit, reseeded every epoch.

- :func:`seeded_run`: draws the run's seed from ``random_state`` (``net._seed``), makes the
  augmentation generator (``net._aug_generator``) and seeds torch inside a forked RNG state,
  so a fit is reproducible and leaves the caller's global RNG untouched.
- :class:`EpochSeeding`: at the start of epoch ``k`` reseeds torch (shuffling, dropout) and the
  augmentation generator from the run's seed and ``k``, so epoch ``k`` draws the same numbers
  whether the run got there in one go or was resumed from a checkpoint.

The validation split (:class:`~skhpa.neural_net.MultilabelHoldout`) takes ``net._seed`` too.
"""

import contextlib

import torch
from sklearn.utils import check_random_state
from skorch.callbacks import Callback

_EPOCH_STRIDE = 7919  # between the seeds of consecutive epochs (changing it changes every fit)


def seeded_run(net):
    """Context manager: seed a fit of ``net`` from its ``random_state``, no global side effect."""
    rng = check_random_state(net.random_state)
    net._seed = int(rng.randint(0, 2**31 - 1))
    net._aug_generator = torch.Generator().manual_seed(net._seed + 1)
    devices = [torch.cuda.current_device()] if net._on_cuda() else []
    stack = contextlib.ExitStack()
    stack.enter_context(torch.random.fork_rng(devices=devices))
    torch.manual_seed(net._seed)
    return stack


def seed_epoch(net, epoch):
    """Reseed torch and the augmentation generator for epoch number ``epoch`` of the run.

    ``epoch`` is the epoch's length of the history when it starts (1 for the first).
    """
    seed = (net._seed + _EPOCH_STRIDE * epoch) % (2**63)
    torch.manual_seed(seed)
    if torch.cuda.is_available() and net._on_cuda():
        torch.cuda.manual_seed_all(seed)
    net._aug_generator.manual_seed(seed + 1)


class EpochSeeding(Callback):
    """Reseed at the start of every epoch from the run's seed and the epoch number. Internal."""

    def on_epoch_begin(self, net, **kwargs):
        seed_epoch(net, len(net.history))
