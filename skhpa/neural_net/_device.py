"""Device selection and moving fitted estimators between devices."""

import torch


def resolve_device(device):
    """``"auto"`` -> ``"cuda"`` when a GPU is available, else ``"cpu"``; others unchanged."""
    if isinstance(device, str) and device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


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

    seen = set()

    def walk(est):
        if est is None or id(est) in seen:
            return
        seen.add(id(est))
        if isinstance(est, NeuralNet):
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
            return
        for _, step in getattr(est, "steps", []) or []:
            walk(step)
        for attr in ("estimator_", "best_estimator_", "estimator"):
            walk(getattr(est, attr, None))

    walk(estimator)
    return estimator
