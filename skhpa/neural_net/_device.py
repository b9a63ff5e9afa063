"""Device selection and moving fitted estimators between devices."""

import torch

from ..utils import iter_estimators


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when a GPU is available, else ``"cpu"``; others unchanged."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def describe_device(device):
    """The device that ``device`` resolves to, in words: ``"cpu"`` or ``"cuda:0 (NVIDIA H200)"``.

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

    Examples
    --------
    >>> from skhpa import HPAClassifier, move_to_device
    >>> net = move_to_device(HPAClassifier(device="auto"), "cpu")
    >>> net.device
    'cpu'
    """
    from skorch import NeuralNet

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
