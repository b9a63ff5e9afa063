"""Model files that are loaded without unpickling: JSON for the structure, safetensors for arrays.

A model file is a zip archive with three members:

- ``config.json``: the estimator tree. Every estimator, parameter class and helper object is
  named by its public import path and must be on an allowlist (:data:`ALLOWED`); parameters
  and fitted attributes are JSON values, tagged tuples, dtypes and references to arrays;
- ``arrays.safetensors``: every array (fitted attributes, network weights) as a plain tensor;
- ``manifest.json``: the format, its version, the skhpa version that wrote it and the SHA-256 of
  the two other members.

Loading reads JSON and tensors only: nothing in the file is executed, and a class outside the
allowlist is refused. The checksums catch corrupted files and edits that did not also rewrite
the manifest; they are not a signature (someone who can write the file can recompute them). What
protects you from a malicious file is that nothing in it runs.

Estimators hand over their fitted state through one hook, ``__skhpa_getstate__`` /
``__skhpa_setstate__``, described in :mod:`skhpa.persistence` (the package docstring):
this module knows no estimator's internals.

Format versions: version 2 stores every fitted state as above; version 1 (skhpa before the
hook) stored a network's weights as a bare ``{name: array key}`` mapping, which the loader
still reads.
"""

import hashlib
import importlib
import inspect
import json
import os
import zipfile
from pathlib import Path

import numpy as np

from .._version import __version__
from ..utils import atomic_write, fitted_attributes, set_fitted_attributes

FORMAT = "skhpa-model"
FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_CONFIG, _ARRAYS, _MANIFEST = "config.json", "arrays.safetensors", "manifest.json"

#: Import paths of the classes a model file may name. Estimators and helper objects are
#: rebuilt from their parameters (and fitted attributes); the others are parameter values.
ALLOWED = (
    "skhpa.HPAClassifier",
    "skhpa.ThresholdOptimizer",
    "skhpa.ensemble.ProbabilityBlend",
    "skhpa.preprocessing.ChannelSelector",
    "skhpa.preprocessing.ChannelStandardizer",
    "skhpa.preprocessing.ImageLoader",
    "skhpa.preprocessing.LocalizationFeatures",
    "skhpa.preprocessing.Resize",
    "skhpa.resampling.MLROS",
    "skhpa.resampling.MLRUS",
    "skhpa.resampling.MLSMOTE",
    "skhpa.model_selection.MultilabelStratifiedKFold",
    "skhpa.model_selection.MultilabelStratifiedGroupKFold",
    "skhpa.model_selection.MultilabelStratifiedShuffleSplit",
    "skhpa.neural_net.MultilabelHoldout",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing.StandardScaler",
    "sklearn.preprocessing.FunctionTransformer",
    "sklearn.preprocessing.LabelBinarizer",
    "sklearn.linear_model.LogisticRegression",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.multiclass._ConstantPredictor",  # OneVsRest's model of a constant column
    "sklearn.frozen.FrozenEstimator",
    "imblearn.pipeline.Pipeline",
    "skhpa.nn.SeedCNN",
    "skhpa.nn.MLPNet",
    "skhpa.nn.TimmNet",
    "skhpa.losses.FocalLoss",
    "skhpa.losses.SoftF1Loss",
    "skhpa.losses.CombinedLoss",
    "torch.nn.BCEWithLogitsLoss",
    "torch.optim.AdamW",
    "torch.optim.Adam",
    "torch.optim.SGD",
    "torch.optim.RMSprop",
    "torch.optim.RAdam",
    "torch.optim.NAdam",
    "torch.utils.data.DataLoader",
    "skorch.dataset.Dataset",
)


class ModelFileError(ValueError):
    """A model file that is not a valid skhpa model file (corrupt, edited or unsupported)."""


def _resolve(name):
    module, _, attr = name.rpartition(".")
    return getattr(importlib.import_module(module), attr)


_BY_CLASS = None


def _name_of(cls):
    global _BY_CLASS
    if _BY_CLASS is None:
        _BY_CLASS = {_resolve(n): n for n in ALLOWED}
    return _BY_CLASS.get(cls)


def get_fitted_state(estimator):
    """The fitted state to store: the estimator's hook, or its public fitted attributes."""
    # looked up on the class: a wrapper that forwards attribute access (FrozenEstimator)
    # must not hand out the hook, and so the weights, of the estimator it wraps
    hook = getattr(type(estimator), "__skhpa_getstate__", None)
    return fitted_attributes(estimator) if hook is None else dict(hook(estimator))


def set_fitted_state(estimator, state):
    """Restore a fitted state: the estimator's hook, or setting public fitted attributes."""
    hook = getattr(type(estimator), "__skhpa_setstate__", None)
    if hook is None:
        set_fitted_attributes(estimator, state)
    else:
        hook(estimator, state)
    return estimator


class _Writer:
    def __init__(self):
        self.arrays = {}
        self.memo = {}

    def array(self, a, where):
        import torch

        if torch.is_tensor(a):
            t, kind = a.detach().cpu(), "tensor"
        else:
            a = np.asarray(a)
            if a.dtype.kind in "OUSV":
                if a.dtype.kind == "U":
                    return {"__str_array__": a.tolist()}
                if a.dtype.kind == "O" and a.ndim == 1 and all(isinstance(x, str) for x in a):
                    # column names (feature_names_in_): strings kept as Python objects
                    return {"__str_array__": a.tolist(), "object": True}
                raise TypeError(f"{where}: arrays of dtype {a.dtype} cannot be saved")
            t, kind = torch.from_numpy(np.ascontiguousarray(a)), "numpy"
        key = f"t{len(self.arrays)}"
        self.arrays[key] = t.contiguous().clone()
        return {"__array__": key, "kind": kind}

    def value(self, v, where):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, np.generic):
            return v.item()
        if isinstance(v, tuple):
            return {"__tuple__": [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]}
        if isinstance(v, list):
            return [self.value(x, f"{where}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, dict):
            if not all(isinstance(k, str) for k in v):
                raise TypeError(f"{where}: dictionaries with non-string keys cannot be saved")
            return {"__dict__": {k: self.value(x, f"{where}[{k!r}]") for k, x in v.items()}}
        if isinstance(v, np.dtype):
            return {"__dtype__": v.str}
        if isinstance(v, os.PathLike):
            return {"__path__": os.fspath(v)}
        if (
            isinstance(v, np.ndarray)
            or type(v).__module__.startswith("torch")
            and hasattr(v, "detach")
        ):
            return self.array(v, where)
        if isinstance(v, type):
            name = _name_of(v)
            if name is None:
                raise TypeError(
                    f"{where} is {v.__module__}.{v.__qualname__}, which save_model cannot store "
                    f"safely (allowed classes: skhpa.persistence.ALLOWED); use dump_joblib"
                )
            return {"__class__": name}
        return self.obj(v, where)

    def obj(self, est, where):
        if id(est) in self.memo:
            return {"__ref__": self.memo[id(est)]}
        name, params = _name_of(type(est)), None
        # the class's own hook only: a subclass (other parameters, other predictions) is not
        # what the hook stores
        save_as = type(est).__dict__.get("__skhpa_save_as__")
        if name is None and save_as is not None:
            # a class stored as another one (AcceleratedHPAClassifier as HPAClassifier)
            cls, params = save_as(est)
            name = _name_of(cls)
        if name is None:
            raise TypeError(
                f"{where} is a {type(est).__module__}.{type(est).__qualname__} object, which "
                "save_model cannot store without pickle (allowed classes: "
                "skhpa.persistence.ALLOWED); remove it or use skhpa.persistence.dump_joblib"
            )
        ref = len(self.memo)
        self.memo[id(est)] = ref
        if params is None:
            params = _params_of(est)
        params = {k: self.value(v, f"{where}.{k}") for k, v in params.items()}
        node = {"__object__": name, "id": ref, "params": params}
        state = get_fitted_state(est)
        node["state"] = {k: self.value(v, f"{where}.{k}") for k, v in state.items()}
        return node


def state_digest(estimator):
    """A hex digest of what :func:`save_model` would store: parameters and fitted state.

    Unlike a digest of the pickle, it leaves out what changes when a model
    predicts (random generators, caches) and what differs between two loads of
    one file, so the same model gives the same digest before and after
    predicting, and in another process after ``load_model``.

    Raises
    ------
    TypeError
        If ``save_model`` cannot store the estimator.
    """
    import torch

    writer = _Writer()
    tree = writer.value(estimator, type(estimator).__name__)
    h = hashlib.sha256(json.dumps(tree, sort_keys=True).encode())
    for key in sorted(writer.arrays, key=lambda k: int(k[1:])):
        t = writer.arrays[key].contiguous()
        h.update(f"|{key}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())  # the bytes, not a copy of them
    return h.hexdigest()


def _params_of(obj):
    """get_params(deep=False), or the constructor arguments stored as attributes (splitters)."""
    if hasattr(obj, "get_params"):
        return obj.get_params(deep=False)
    sig = inspect.signature(type(obj).__init__)
    names = [
        p.name
        for p in sig.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    return {n: getattr(obj, n) for n in names}


def save_model(estimator, path):
    """Save a fitted (or unfitted) estimator without pickle.

    Works for :class:`~skhpa.HPAClassifier`, :class:`~skhpa.ThresholdOptimizer`,
    the library's transformers and resamplers, scikit-learn / imbalanced-learn
    Pipelines and :class:`~sklearn.frozen.FrozenEstimator` built from them, and the
    scikit-learn models the recipes use (``StandardScaler``, ``FunctionTransformer``,
    ``LogisticRegression``, ``OneVsRestClassifier``; see :data:`ALLOWED`). The
    structure goes to JSON and every array (network weights included) to
    safetensors, in one zip file written atomically. Optimizer state is not
    saved: a loaded network predicts and can be fine-tuned, and checkpoints
    (``checkpoint_dir``) are the way to resume an interrupted training.

    Parameters
    ----------
    estimator : estimator
    path : str or path-like

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    TypeError
        If the estimator holds something that cannot be stored without pickle (a
        callable scoring, callback objects, a class outside :data:`ALLOWED`); the
        message names the parameter.
    ValueError
        If ``path`` ends in ``.joblib``, ``.pkl`` or ``.pickle``: ``joblib.load``
        could not open the file such a name promises (use :func:`dump_joblib`).

    Examples
    --------
    >>> import os, tempfile
    >>> from skhpa.persistence import load_model, save_model
    >>> from skhpa.preprocessing import ChannelSelector
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skhpa")
    >>> _ = save_model(ChannelSelector(("green",)), path)
    >>> load_model(path).channels
    ('green',)
    """
    from safetensors.torch import save as st_save

    path = Path(os.fspath(path))
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise ValueError(
            f"save_model writes a skhpa model file (read by load_model), which joblib.load "
            f"cannot open: name it {path.with_suffix('.skhpa').name!r}, or write a pickle with "
            "skhpa.persistence.dump_joblib"
        )
    writer = _Writer()
    tree = writer.value(estimator, type(estimator).__name__)
    config = json.dumps({"estimator": tree}, indent=1).encode()
    arrays = st_save(writer.arrays) if writer.arrays else st_save({})
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "skhpa_version": __version__,
        "sha256": {
            _CONFIG: hashlib.sha256(config).hexdigest(),
            _ARRAYS: hashlib.sha256(arrays).hexdigest(),
        },
    }
    with atomic_write(path, "wb") as fh:
        with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr(_MANIFEST, json.dumps(manifest, indent=1))
            zf.writestr(_CONFIG, config)
            zf.writestr(_ARRAYS, arrays)
    return path


def _read_members(path):
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = {_MANIFEST, _CONFIG, _ARRAYS} - names
            if missing:
                raise ModelFileError(f"{path}: not a skhpa model file (missing {sorted(missing)})")
            return {n: zf.read(n) for n in (_MANIFEST, _CONFIG, _ARRAYS)}
    except (zipfile.BadZipFile, EOFError, zipfile.LargeZipFile) as exc:
        if looks_like_pickle(path):
            raise ModelFileError(
                f"{path}: a joblib or pickle file, not a skhpa model file; joblib.load opens "
                "it, which runs code from the file (only files you trust)"
            ) from None
        raise ModelFileError(f"{path}: not a readable skhpa model file ({exc})") from exc


PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle")


def looks_like_pickle(path):
    """Whether the file starts as a pickle (protocol 2+) or a joblib file (zlib, gzip, ...)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return (
        head[:1] == b"\x80"  # pickle protocol 2 and later
        or head in (b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda")  # zlib (joblib's default)
        or head == b"\x1f\x8b"  # gzip
        or head == b"\xfd\x37"  # xz
        or head == b"\x5d\x00"  # lzma
        or head == b"BZ"  # bz2
        or head == b"\x04\x22"  # lz4 frame
    )


def load_model(path, *, device=None):
    """Load a model written by :func:`save_model`; nothing in the file is executed.

    Parameters
    ----------
    path : str or path-like
    device : str, optional
        Device for the networks in the model (e.g. ``"cpu"``); by default the
        saved ``device`` parameter, with ``"cuda"`` mapped to the CPU when no
        GPU is available. A device given here must exist on this machine.

    Returns
    -------
    estimator

    Raises
    ------
    ValueError
        If ``device`` is unknown or not on this machine (e.g. ``"cuda"`` without a GPU).
    ModelFileError
        If the file is not a zip archive, a member is missing, a checksum does
        not match, the format version is unknown, the structure names a class
        outside :data:`ALLOWED` or the weights do not fit the network.

    Examples
    --------
    >>> import os, tempfile
    >>> from skhpa.persistence import load_model, save_model
    >>> from skhpa.preprocessing import Resize
    >>> path = save_model(Resize(16), os.path.join(tempfile.mkdtemp(), "resize.skhpa"))
    >>> load_model(path).image_size
    16
    """
    from safetensors.torch import load as st_load

    if device is not None:  # asked for: it must exist here (the saved one falls back to the CPU)
        from ..neural_net import check_device

        check_device(device)
    path = Path(os.fspath(path))
    members = _read_members(path)
    try:
        manifest = json.loads(members[_MANIFEST])
    except ValueError as exc:
        raise ModelFileError(f"{path}: manifest.json is not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a skhpa model file (format {manifest!r:.60})")
    version = manifest.get("format_version")
    if version not in _READABLE_VERSIONS:
        raise ModelFileError(
            f"{path}: model file format version {version!r} is not supported by skhpa "
            f"{__version__} (it reads versions {', '.join(map(str, _READABLE_VERSIONS))})"
        )
    for name in (_CONFIG, _ARRAYS):
        expected = (manifest.get("sha256") or {}).get(name)
        if hashlib.sha256(members[name]).hexdigest() != expected:
            raise ModelFileError(
                f"{path}: checksum mismatch for {name}: the file was modified or is corrupt"
            )
    try:
        config = json.loads(members[_CONFIG])
        arrays = st_load(members[_ARRAYS])
    except Exception as exc:
        raise ModelFileError(f"{path}: unreadable model content ({exc})") from exc
    reader = _Reader(arrays, path, device)
    try:
        tree = config["estimator"]
        if version == 1:
            tree = _upgrade_v1(tree)
        return reader.value(tree, "estimator")
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise ModelFileError(
            f"{path}: invalid model content ({type(exc).__name__}: {exc})"
        ) from exc


class _Reader:
    def __init__(self, arrays, path, device):
        self.arrays = arrays
        self.path = path
        self.device = device
        self.objects = {}

    def fail(self, msg):
        raise ModelFileError(f"{self.path}: {msg}")

    def array(self, node):
        t = self.arrays.get(node["__array__"])
        if t is None:
            self.fail(f"array {node['__array__']!r} is missing from arrays.safetensors")
        return t.numpy().copy() if node.get("kind") == "numpy" else t

    def value(self, v, where):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.value(x, where) for x in v]
        if not isinstance(v, dict) or len(v) == 0:
            self.fail(f"unexpected value at {where}")
        if "__tuple__" in v:
            return tuple(self.value(x, where) for x in v["__tuple__"])
        if "__dict__" in v:
            return {k: self.value(x, f"{where}.{k}") for k, x in v["__dict__"].items()}
        if "__dtype__" in v:
            return np.dtype(v["__dtype__"])
        if "__path__" in v:
            return Path(v["__path__"])
        if "__array__" in v:
            return self.array(v)
        if "__str_array__" in v:
            return np.array(v["__str_array__"], dtype=object if v.get("object") else str)
        if "__class__" in v:
            return self.cls(v["__class__"], where)
        if "__ref__" in v:
            if v["__ref__"] not in self.objects:
                self.fail(f"dangling reference at {where}")
            return self.objects[v["__ref__"]]
        if "__object__" in v:
            return self.obj(v, where)
        self.fail(f"unexpected value at {where}")

    def cls(self, name, where):
        if name not in ALLOWED:
            self.fail(f"{where} names {name!r}, which is not an allowed class")
        return _resolve(name)

    def obj(self, node, where):
        cls = self.cls(node["__object__"], where)
        params = {k: self.value(x, f"{where}.{k}") for k, x in node["params"].items()}
        if self.device is not None and "device" in params:
            params["device"] = self.device
        est = cls(**params)
        state = {k: self.value(x, f"{where}.{k}") for k, x in (node.get("state") or {}).items()}
        try:
            set_fitted_state(est, state)
        except (ValueError, TypeError) as exc:
            self.fail(f"{where}: cannot restore its fitted state: {exc}")
        self.objects[node["id"]] = est
        return est


def _upgrade_v1(tree):
    """A version-1 estimator tree in version 2's layout.

    Version 1 stored a network's weights as ``{"weights": {name: array key}}`` in its state;
    version 2 stores every value of a state alike: a dict of tagged array references.
    """
    if isinstance(tree, list):
        return [_upgrade_v1(v) for v in tree]
    if not isinstance(tree, dict):
        return tree
    out = {k: _upgrade_v1(v) for k, v in tree.items()}
    state = out.get("state") if "__object__" in out else None
    weights = state.get("weights") if isinstance(state, dict) else None
    if isinstance(weights, dict) and all(isinstance(v, str) for v in weights.values()):
        refs = {k: {"__array__": v, "kind": "tensor"} for k, v in weights.items()}
        out["state"] = dict(state, weights={"__dict__": refs})
    return out


def model_file_info(path):
    """The manifest of a model file (format, versions, checksums), read without loading it.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model`.

    Returns
    -------
    manifest : dict
        The file's manifest: ``"format"`` (``"skhpa-model"``),
        ``"format_version"`` (int), ``"skhpa_version"`` (the version of skhpa
        that wrote the file) and ``"sha256"`` (the SHA-256 hex digest of each
        member, by member name).

    Raises
    ------
    ModelFileError
        The file is not a readable skhpa model file.

    Examples
    --------
    >>> import os, tempfile
    >>> from skhpa.persistence import model_file_info, save_model
    >>> from skhpa.preprocessing import Resize
    >>> path = save_model(Resize(16), os.path.join(tempfile.mkdtemp(), "resize.skhpa"))
    >>> model_file_info(path)["format"]
    'skhpa-model'
    """
    path = Path(os.fspath(path))
    return json.loads(_read_members(path)[_MANIFEST])


__all__ = ["ALLOWED", "ModelFileError", "load_model", "model_file_info", "save_model"]
