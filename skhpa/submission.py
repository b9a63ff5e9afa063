"""Writing Kaggle submissions at scale: predictions streamed in chunks, resumable.

Formerly ``skhpa.inference`` (still importable, with a deprecation warning).
"""

import contextlib
import csv
import hashlib
import io
import json
import os
import pickle
import socket
from pathlib import Path

import numpy as np

from .datasets import write_target_rows
from .utils import N_CLASSES, atomic_write, check_multilabel_target, validate_sample_id

_HEADER = "Id,Predicted\n"
_META_FORMAT = "skhpa-partial-submission"


def _alive(pid):
    """Whether process ``pid`` runs on this machine (unknown on Windows: assumed so)."""
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


@contextlib.contextmanager
def _claim(path):
    """Hold ``{path}.lock`` while a run writes ``path``: a second run is refused.

    Two runs appending to one partial file would leave rows of both under the
    final name. The lock records the process and host; a lock whose process no
    longer runs on this host (a killed run) is taken over.
    """
    lock = path.with_name(path.name + ".lock")
    me = f"{os.getpid()} {socket.gethostname()}"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid, host = lock.read_text().split(" ", 1)
                stale = host == socket.gethostname() and not _alive(int(pid))
            except (OSError, ValueError):
                pid, host, stale = "?", "?", False
            if stale:
                lock.unlink(missing_ok=True)
                continue
            raise FileExistsError(
                f"{path} is being written by another run (process {pid} on {host}, lock "
                f"{lock}): wait for it to finish, or delete {lock} if no run is active"
            ) from None
        with os.fdopen(fd, "w") as fh:
            fh.write(me)
        break
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def model_fingerprint(model):
    """A hex digest of a fitted model's state (parameters and learned values).

    Two objects that would predict the same way give the same digest in one
    environment; a different model (other weights, thresholds or parameters)
    gives another. Used to tell whose rows a partial submission holds. A
    model that :func:`skhpa.save_model` can store is digested as that file's
    contents would be (so predicting with it, or loading the same file again,
    keeps its digest); any other model by its pickle.

    Parameters
    ----------
    model : object
        Any picklable estimator.

    Returns
    -------
    digest : str or None
        None when the model cannot be pickled (and so not recognized later).

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skhpa.submission import model_fingerprint
    >>> model_fingerprint(LogisticRegression()) == model_fingerprint(LogisticRegression())
    True
    >>> model_fingerprint(LogisticRegression()) == model_fingerprint(LogisticRegression(C=2))
    False
    """
    from .persistence import state_digest

    try:
        return state_digest(model)
    except (TypeError, ValueError):
        pass  # not storable without pickle: the pickle's digest
    h = hashlib.sha256()

    class _Sink:  # pickle streams into the hash: no copy of the model in memory
        write = h.update

    try:
        pickle.dump(model, _Sink(), protocol=4)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None  # not picklable: it cannot be recognized in a later run
    return h.hexdigest()


def _ids_digest(ids):
    h = hashlib.sha256()
    for i in ids:
        h.update(i.encode())
        h.update(b"\n")
    return h.hexdigest()


def _read_meta(meta_path):
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("format") == _META_FORMAT else None


def _done_rows(partial, ids):
    """Rows already in ``partial`` if they are a prefix of ``ids`` (else None).

    A torn last line (the run was killed while writing it) is cut off.
    """
    raw = partial.read_bytes()
    end = raw.rfind(b"\n") + 1  # only complete lines count
    try:
        text = raw[:end].decode()
    except UnicodeDecodeError:
        return None
    if not text.startswith(_HEADER):
        return None
    rows = list(csv.reader(io.StringIO(text[len(_HEADER) :])))
    done = [r[0] for r in rows if r]
    if done != ids[: len(done)]:
        return None
    if end < len(raw):
        with open(partial, "r+b") as fh:
            fh.truncate(end)
    return len(done)


def _check_stems_match(X, ids):
    """Path stems given as X must name the samples of ids, in the same order."""
    is_sequence = isinstance(X, (list, tuple)) or (
        isinstance(X, np.ndarray) and X.dtype.kind in "UO"
    )
    if not is_sequence:
        return  # images or a lazy array: nothing to compare
    for r, (x, i) in enumerate(zip(X, ids)):
        if not isinstance(x, (str, os.PathLike)):
            return
        name = os.path.basename(os.fspath(x))
        if name != i:
            raise ValueError(
                f"X[{r}] is the path stem of sample {name!r} but ids[{r}] is {i!r}: X and ids "
                "must list the same samples in the same order"
            )


def predict_submission(
    model,
    ids,
    path,
    *,
    X=None,
    chunk_size=1024,
    resume=True,
    model_key="auto",
    progress=False,
    verbose=False,
):
    """Predict ``ids`` chunk by chunk straight into a Kaggle ``Id,Predicted`` file.

    Each chunk's rows are appended to ``{path}.partial`` and flushed to disk
    before the next chunk starts; when all are done the file is renamed to
    ``path`` (atomically). Memory stays flat in the number of Ids: only one
    chunk of images and predictions is held at a time (use a model that loads
    images itself, e.g. a Pipeline starting with
    :class:`~skhpa.preprocessing.ImageLoader`, and pass path stems as ``X``).

    While it runs, ``{path}.lock`` names its process: a second run writing the
    same ``path`` is refused (:class:`FileExistsError`) instead of appending
    to the same partial file; the lock of a run that was killed is taken over.

    Resuming: ``{path}.partial.json`` records which model (``model_key``) and
    which list of Ids the partial rows belong to. Calling the function again
    with the same model and Ids continues after the last complete row (a
    half-written row is discarded). With another model or other Ids, the
    partial rows are discarded and the run starts over: rows of two models
    never mix in one file.

    Parameters
    ----------
    model : fitted estimator
        Its ``predict`` returns a (n, 28) indicator matrix.
    ids : sequence of str
        Sample Ids, in submission order, each once.
    path : str or path-like
        The submission file.
    X : indexable, optional
        What the model predicts on, aligned with ``ids`` (path stems, images,
        a lazy array); by default ``ids`` itself. Path stems must end in the
        Id of the same row.
    chunk_size : int, default=1024
        Samples predicted per chunk.
    resume : bool, default=True
        Continue a partial file left by an interrupted run of the same model
        on the same Ids (else start over).
    model_key : str or "auto", default="auto"
        What identifies the model, e.g. the checksum of its file (the command
        line passes that); "auto" uses :func:`model_fingerprint`.
    progress : bool, default=False
        Show a progress bar (tqdm).
    verbose : bool, default=False
        Print whether the run resumed ("resuming after N of M rows") or started
        over, and why; without ``progress``, also a line after each chunk when
        there are several.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skhpa.submission import predict_submission
    >>> class Constant:
    ...     def predict(self, X):
    ...         Y = np.zeros((len(X), 28), dtype=np.uint8); Y[:, 25] = 1
    ...         return Y
    >>> path = os.path.join(tempfile.mkdtemp(), "submission.csv")
    >>> _ = predict_submission(Constant(), ["a", "b", "c"], path, chunk_size=2)
    >>> open(path).read().splitlines()
    ['Id,Predicted', 'a,25', 'b,25', 'c,25']
    """
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    ids = [validate_sample_id(str(i), row=r) for r, i in enumerate(ids)]
    seen = {}
    for r, i in enumerate(ids):
        if seen.setdefault(i, r) != r:
            raise ValueError(
                f"sample Id {i!r} is in ids twice (positions {seen[i]} and {r}): a submission "
                "has one row per Id"
            )
    X = ids if X is None else X
    if len(X) != len(ids):
        raise ValueError(f"X has {len(X)} samples but ids has {len(ids)} entries")
    _check_stems_match(X, ids)
    path = Path(os.fspath(path))
    partial = path.with_name(path.name + ".partial")
    meta_path = path.with_name(path.name + ".partial.json")
    key = model_fingerprint(model) if model_key == "auto" else str(model_key)
    meta = {"format": _META_FORMAT, "model": key, "ids_sha256": _ids_digest(ids), "n": len(ids)}
    say = print if verbose else (lambda *a, **k: None)

    with _claim(path):
        _write_chunks(
            model, X, ids, path, partial, meta_path, key, meta, say, resume, chunk_size, progress
        )
    return path


def _write_chunks(
    model, X, ids, path, partial, meta_path, key, meta, say, resume, chunk_size, progress
):
    """predict_submission's work once it holds the output's lock."""
    start, why_not = 0, None
    if resume and partial.exists():
        old = _read_meta(meta_path)
        if old is None:
            why_not = f"{partial} has no readable record of its model and Ids"
        elif key is None:
            why_not = "the model cannot be fingerprinted (pass model_key to resume)"
        elif old["model"] != key:
            why_not = f"{partial} holds predictions of another model"
        elif old["ids_sha256"] != meta["ids_sha256"]:
            why_not = f"{partial} holds predictions for another list of Ids"
        else:
            done = _done_rows(partial, ids)
            if done is None:
                why_not = f"{partial} does not hold a prefix of these Ids"
            else:
                start = done
                say(f"resuming after {start} of {len(ids)} rows ({partial})")
        if why_not is not None:
            say(f"starting over: {why_not}")
    fresh = start == 0
    if fresh:
        with atomic_write(meta_path) as fh:
            json.dump(meta, fh)
        with atomic_write(partial, "w", newline="") as fh:
            fh.write(_HEADER)
    starts = range(start, len(ids), chunk_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="predicting", unit="chunk")
    written = 0
    try:
        with open(partial, "a", newline="") as fh:
            for s in starts:
                e = min(s + chunk_size, len(ids))
                Y = model.predict(X[s:e])
                Y = check_multilabel_target(
                    Y, name=f"predictions for rows {s}-{e - 1}", n_classes=N_CLASSES
                )
                if len(Y) != e - s:
                    raise ValueError(f"the model returned {len(Y)} rows for {e - s} samples")
                write_target_rows(fh, ids[s:e], Y)
                fh.flush()
                os.fsync(fh.fileno())
                written += e - s
                if not progress and len(ids) > chunk_size:
                    say(f"predicted {start + written} of {len(ids)} rows")
    except BaseException:
        if fresh and written == 0:  # nothing worth resuming: leave nothing behind
            partial.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    meta_path.unlink(missing_ok=True)


__all__ = ["model_fingerprint", "predict_submission"]
