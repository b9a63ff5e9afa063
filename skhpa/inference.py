"""Prediction at scale: chunks streamed into a submission file, resumable after interruption."""

import csv
import io
import os
from pathlib import Path

import numpy as np

from .datasets._labels import N_CLASSES, format_targets
from .utils import check_multilabel_target, validate_sample_id

_HEADER = "Id,Predicted\n"


def _done_ids(partial, ids):
    """Ids already in ``partial`` (a prefix of ``ids``); truncates a torn last line."""
    raw = partial.read_bytes()
    end = raw.rfind(b"\n") + 1  # only complete lines count
    if end < len(raw):
        with open(partial, "r+b") as fh:
            fh.truncate(end)
    text = raw[:end].decode()
    if not text.startswith(_HEADER):
        raise ValueError(f"{partial} is not a partial submission; delete it to start over")
    rows = list(csv.reader(io.StringIO(text[len(_HEADER) :])))
    done = [r[0] for r in rows]
    if done != [str(i) for i in ids[: len(done)]]:
        raise ValueError(
            f"{partial} holds predictions for another list of Ids; delete it to start over"
        )
    return len(done)


def predict_submission(model, ids, path, *, X=None, chunk_size=1024, resume=True, progress=False):
    """Predict ``ids`` chunk by chunk straight into a Kaggle ``Id,Predicted`` file.

    Each chunk's rows are appended to ``{path}.partial`` and flushed to disk
    before the next chunk starts; when all are done the file is renamed to
    ``path`` (atomically). Memory stays flat in the number of Ids: only one
    chunk of images and predictions is held at a time (use a model that loads
    images itself, e.g. a Pipeline starting with
    :class:`~skhpa.preprocessing.ImageLoader`). If the run is killed, calling
    the function again with the same arguments continues after the last
    complete row (a half-written row is discarded).

    Parameters
    ----------
    model : fitted estimator
        Its ``predict`` returns a (n, 28) indicator matrix.
    ids : sequence of str
        Sample Ids, in submission order.
    path : str or path-like
        The submission file.
    X : indexable, optional
        What the model predicts on, aligned with ``ids`` (images, a lazy array
        or Ids); by default ``ids`` itself (for Pipelines that load images).
    chunk_size : int, default=1024
    resume : bool, default=True
        Continue a partial file left by an interrupted run (else start over).
    progress : bool, default=False
        Show a progress bar (tqdm).

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skhpa.inference import predict_submission
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
    X = ids if X is None else X
    if len(X) != len(ids):
        raise ValueError(f"X has {len(X)} samples but ids has {len(ids)} entries")
    path = Path(os.fspath(path))
    partial = path.with_name(path.name + ".partial")
    start = 0
    if resume and partial.exists():
        start = _done_ids(partial, ids)
    else:
        with open(partial, "w", newline="") as fh:
            fh.write(_HEADER)
    starts = range(start, len(ids), chunk_size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, desc="predicting", unit="chunk")
    with open(partial, "a", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for s in starts:
            e = min(s + chunk_size, len(ids))
            Y = model.predict(X[s:e])
            Y = check_multilabel_target(
                Y, name=f"predictions for rows {s}-{e - 1}", n_classes=N_CLASSES
            )
            if len(Y) != e - s:
                raise ValueError(f"the model returned {len(Y)} rows for {e - s} samples")
            writer.writerows(zip(ids[s:e], format_targets(Y)))
            fh.flush()
            os.fsync(fh.fileno())
    os.replace(partial, path)
    return path


__all__ = ["predict_submission"]
