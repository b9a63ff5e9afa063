"""Device selection, moving fitted estimators between devices, HPAClassifier's device mixin."""

import contextlib

import torch

from ..utils import iter_estimators


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when a GPU is available, else ``"cpu"``; others unchanged.

    Parameters
    ----------
    device : str or torch.device

    Returns
    -------
    device : str or torch.device
    """
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


_EXPECTED = "expected {q}auto{q}, {q}cpu{q}, {q}cuda{q}, {q}cuda:N{q} or {q}mps{q} (Apple GPUs)"


def check_device(device, flag=None, owner=None):
    """Check that ``device`` names a device this machine has; return it as a torch.device.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ...
    flag : str, optional
        The command-line flag that set it (``"--device"``): the error names it.
    owner : str, optional
        The estimator whose ``device`` parameter it is: the error names it.

    Returns
    -------
    device : torch.device
        ``"auto"`` resolved.

    Raises
    ------
    ValueError
        An unknown device, CUDA on a machine without a visible GPU, or a GPU index
        it does not have.

    Examples
    --------
    >>> from skhpa.neural_net import check_device
    >>> check_device("cpu")
    device(type='cpu')
    >>> check_device("tpu")
    Traceback (most recent call last):
    ...
    ValueError: device='tpu': expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps' (Apple GPUs)
    """
    if flag is not None:
        label, q, use = f"{flag} {device}", "", f"{flag} "
    else:
        label = f"device={device!r}"
        if owner is not None:
            label = f"The 'device' parameter of {owner} ({device!r})"
        q, use = "'", "device="
    try:
        dev = torch.device(resolve_device(device))
    except (RuntimeError, TypeError):  # torch lists every device type it was built for
        raise ValueError(f"{label}: {_EXPECTED.format(q=q)}") from None
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"{label}: this machine has no Apple MPS device; use {use}{q}cpu{q}")
    if dev.type not in ("cpu", "cuda", "mps"):  # built into torch, but not a device here
        raise ValueError(f"{label}: {_EXPECTED.format(q=q)}")
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(
                f"{label}: no CUDA GPU is visible on this machine; use {use}{q}cpu{q} (or "
                f"{q}auto{q}, which picks the GPU when there is one)"
            )
        if dev.index is not None and dev.index >= count:
            raise ValueError(f"{label}: this machine has {count} CUDA GPU(s)")
    return dev


def describe_device(device):
    """The device that ``device`` resolves to, in words: ``"cpu"`` or ``"cuda:0 (NVIDIA H200)"``.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"`` is resolved as :func:`resolve_device` does.

    Returns
    -------
    description : str

    Examples
    --------
    >>> from skhpa.neural_net import describe_device
    >>> describe_device("cpu")
    'cpu'
    """
    dev = torch.device(resolve_device(device))
    if dev.type == "cuda" and torch.cuda.is_available():
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(dev)


def move_to_device(estimator, device):
    """Move a fitted estimator (or a Pipeline / meta-estimator holding one) to ``device``.

    Walks Pipelines (``steps``), meta-estimators (``estimator_``, ``estimator``,
    ``best_estimator_``) and skorch nets, sets their ``device`` parameter and
    moves their modules, criteria and optimizer state. Use it to predict on the
    CPU with a model trained on a GPU on the same machine (unpickling on a
    machine without CUDA already maps to the CPU).

    Parameters
    ----------
    estimator : estimator
    device : str or torch.device

    Returns
    -------
    estimator
        The same object, moved.

    Raises
    ------
    ValueError
        If ``device`` is unknown or not on this machine (see :func:`check_device`).

    Examples
    --------
    >>> from skhpa import HPAClassifier, move_to_device
    >>> net = move_to_device(HPAClassifier(device="auto"), "cpu")
    >>> net.device
    'cpu'
    """
    from skorch import NeuralNet

    check_device(device)  # before anything moves: an unknown device or a missing GPU
    for est in iter_estimators(estimator):
        if not isinstance(est, NeuralNet):
            continue
        est.device = device
        target = torch.device(resolve_device(device))
        for name in est._modules + est._criteria:
            mod = getattr(est, name + "_", None)
            if isinstance(mod, torch.nn.Module):
                mod.to(target)
        for name in est._optimizers:
            opt = getattr(est, name + "_", None)
            if opt is not None:
                for state in opt.state.values():
                    for k, v in state.items():
                        if torch.is_tensor(v):
                            state[k] = v.to(target)
    return estimator


class DeviceMixin:
    """HPAClassifier's device handling: the ``device`` parameter, autocast, channels-last.

    The ``device`` parameter keeps what the user set (``"auto"`` stays ``"auto"`` in
    ``get_params`` and in a pickle), while skorch's internals read the resolved device
    through the property; unpickling on a machine resolves ``"auto"`` there.
    """

    @property
    def device(self):
        return resolve_device(self.__dict__.get("device", "cpu"))

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def get_params(self, deep=True, **kwargs):
        """Get the estimator's parameters (override of skorch's ``get_params``).

        As skorch's, except that ``device`` is the value that was set
        (``"auto"`` stays ``"auto"``), not the resolved device.

        Parameters
        ----------
        deep : bool, default=True
            Also return the parameters of sub-objects (skorch's and
            scikit-learn's meaning).
        **kwargs
            Passed to skorch's ``get_params``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep, **kwargs)
        if "device" in self.__dict__:
            params["device"] = self.__dict__["device"]
        return params

    def __setstate__(self, state):
        raw = state.get("device")
        if raw == "auto":
            state["device"] = resolve_device("auto")
        super().__setstate__(state)
        if raw == "auto":
            self.__dict__["device"] = "auto"

    def _on_cuda(self):
        return str(self.device).startswith("cuda")

    def _use_amp(self):
        if self.amp == "auto":
            return self._on_cuda() and torch.cuda.is_bf16_supported()
        return bool(self.amp)

    def _autocast(self):
        if not self._use_amp():
            return contextlib.nullcontext()
        device_type = "cuda" if self._on_cuda() else "cpu"
        return torch.autocast(device_type=device_type, dtype=torch.bfloat16)

    def _channels_last(self):
        return self._on_cuda() if self.channels_last == "auto" else bool(self.channels_last)

    def _to_device(self, x):
        x = torch.as_tensor(x) if not torch.is_tensor(x) else x
        x = x.to(self.device, non_blocking=True)
        if x.dim() == 4 and self._channels_last():
            x = x.contiguous(memory_format=torch.channels_last)
        return x
