"""Reading and writing the Kaggle HPA layout (``train.csv``, channel files, submissions)."""

import csv
import os
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..utils import (
    CHANNELS,
    CLASS_NAMES,
    EXTENSIONS_TRIED,
    IMAGE_EXTENSIONS,
    N_CLASSES,
    atomic_write,
    check_channels,
    check_multilabel_target,
    find_extension,
    validate_sample_id,
)
from ._labels import format_targets, parse_targets

_DEFAULT_LABEL_FILES = {"train": "train.csv", "test": "sample_submission.csv"}


def read_labels_csv(path, *, id_column="Id", target_column="Target", allow_empty=False):
    """Read an ``Id,Target`` CSV strictly.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    id_column, target_column : str
        Column names. ``target_column=None`` reads Ids only.
    allow_empty : bool, default=False
        Whether a row may have an empty target.

    Returns
    -------
    ids : ndarray of str, shape (n_samples,)
    Y : ndarray of shape (n_samples, 28) uint8, or None when ``target_column`` is None

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        For an empty file, a missing column, an invalid or duplicated Id, or a
        malformed target; the message names the file, the line (as an editor
        numbers it: the header is line 1) and the value.

    Examples
    --------
    >>> import os, tempfile
    >>> from skhpa.datasets import read_labels_csv
    >>> path = os.path.join(tempfile.mkdtemp(), "train.csv")
    >>> with open(path, "w") as fh:
    ...     print("Id,Target", "a,16 0", "b,7", sep=chr(10), file=fh)
    >>> ids, Y = read_labels_csv(path)
    >>> ids.tolist(), Y[0, [0, 16]].tolist()
    (['a', 'b'], [1, 1])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"label file not found: {path}")
    try:
        ids, targets, lines, i_t = _read_rows(path, id_column, target_column)
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason}); save it as UTF-8 "
            '("CSV UTF-8" in a spreadsheet)'
        ) from None
    if not ids:
        raise ValueError(f"{path}: no data rows after the header")
    for sample_id, line_no in zip(ids, lines):
        try:
            validate_sample_id(sample_id)
        except ValueError as exc:
            raise ValueError(f"{path}, line {line_no}: {exc}") from None
    ids = np.asarray(ids, dtype=str)
    uniq, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        dup = str(uniq[counts > 1][0])
        dup_lines = [lines[i] for i in np.flatnonzero(ids == dup)]
        raise ValueError(f"{path}: duplicate Id {dup!r} on lines {dup_lines}")
    Y = None
    if i_t is not None:
        where = [f"{path}, line {n}" for n in lines]
        Y = parse_targets(targets, allow_empty=allow_empty, where=where)
    return ids, Y


def _read_rows(path, id_column, target_column):
    """The Ids, targets and line numbers of a label file (the checks of each row's shape)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{path}: the file is empty (expected a header '{id_column},...')")
        header = [h.strip() for h in header]
        needed = [id_column] + ([target_column] if target_column else [])
        folded = [h.casefold() for h in header]  # "id,target" names the same columns
        missing = [c for c in needed if c not in header and c.casefold() not in folded]
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {missing}; the header is {header}"
                + _header_hint(header, needed)
            )

        def column(name):
            return header.index(name) if name in header else folded.index(name.casefold())

        i_id = column(id_column)
        i_t = column(target_column) if target_column else None
        ids, targets, lines = [], [], []
        for row in reader:
            line_no = reader.line_num  # as an editor shows it: the header is line 1
            if not row:
                continue
            if len(row) != len(header):
                hint = ""
                if i_t is not None and len(row) > len(header) and i_t == len(header) - 1:
                    extra = row[i_t:]
                    if all(f.strip().isdecimal() for f in extra):
                        hint = (
                            f" (class indices are separated by spaces: "
                            f'"{" ".join(f.strip() for f in extra)}", not '
                            f'"{",".join(extra)}")'
                        )
                raise ValueError(
                    f"{path}, line {line_no}: expected {len(header)} fields, got {len(row)}{hint}"
                )
            ids.append(row[i_id].strip())  # "a, 16 0" and " a ,16" are the Id "a"
            lines.append(line_no)
            if i_t is not None:
                targets.append(row[i_t])
    return ids, targets, lines, i_t


def _header_hint(header, needed):
    """Why a label file's header lacks its columns: another separator, or no header."""
    example = ",".join(needed)
    for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        if len(header) == 1 and sep in header[0]:
            return (
                f": the file is separated by {name}; the label file is comma-separated "
                f"(line 1 '{example}')"
            )
    if len(header) > 1 and all(h.isdecimal() for h in header[1].split()):
        return f": line 1 looks like data; the file needs a header line '{example}'"
    return ""


def channel_paths(directory, ids, channels=CHANNELS, extension=".png", *, check=True):
    """Build the (n_samples, n_channels) array of channel file paths.

    Parameters
    ----------
    directory : str or path-like
        Folder holding ``{Id}_{channel}{extension}`` files.
    ids : sequence of str
        Sample Ids (validated: no path separators).
    channels : sequence of str, default=("red", "green", "blue", "yellow")
    extension : str, default=".png"
    check : bool, default=True
        Check that every file exists; raise listing the first missing ones.

    Returns
    -------
    paths : ndarray of str, shape (n_samples, n_channels)
    """
    directory = Path(directory)
    ids = [validate_sample_id(str(i), row=r) for r, i in enumerate(ids)]
    paths = np.array(
        [[str(directory / f"{i}_{c}{extension}") for c in channels] for i in ids], dtype=str
    ).reshape(len(ids), len(channels))
    if check:
        present = set(os.listdir(directory)) if directory.is_dir() else set()
        missing = [
            (ids[r], os.path.basename(p))
            for r in range(len(ids))
            for p in paths[r]
            if os.path.basename(p) not in present
        ]
        if missing:
            found = [
                f[: -len(extension)] + e
                for _, f in missing
                for e in EXTENSIONS_TRIED
                if f[: -len(extension)] + e in present
            ]
            other = sorted({os.path.splitext(f)[1] for f in found})
            if other:  # the files are there, with another extension
                n_ext = paths.size - len(missing)
                raise ValueError(
                    f"{directory} mixes image extensions: {n_ext} channel file(s) are "
                    f"{extension} and {len(found)} are {', '.join(other)} (e.g. {found[0]}); "
                    "skhpa reads one extension per folder: convert the files of one kind, or "
                    "keep each extension in its own folder"
                )
            shown = ", ".join(f"{f} (Id {i})" for i, f in missing[:5])
            raise FileNotFoundError(
                f"{len(missing)} channel file(s) missing in {directory}: {shown}"
                + (" ..." if len(missing) > 5 else "")
            )
    return paths


def load_hpa(
    root,
    subset="train",
    *,
    channels=CHANNELS,
    labels_file=None,
    image_dir=None,
    extension=None,
    check_files=True,
):
    """Load the index of an HPA dataset in Kaggle layout, without decoding images.

    The Kaggle layout is ``root/train.csv`` with ``root/train/{Id}_{color}.png``
    and ``root/sample_submission.csv`` with ``root/test/{Id}_{color}.png``. The
    HPA v18 external layout (``{Id}_{color}.jpg``, or ``.tif``) is read the same
    way; the extension is detected from the first sample's files.

    Parameters
    ----------
    root : str or path-like
        Dataset folder.
    subset : {"train", "test"}, default="train"
        Which part to read.
    channels : sequence of str, default=("red", "green", "blue", "yellow")
        Channels whose file paths are returned (and checked).
    labels_file : str, optional
        CSV name inside ``root`` (default ``train.csv`` or
        ``sample_submission.csv``).
    image_dir : str, optional
        Image folder inside ``root`` (default: ``subset``).
    extension : str, optional
        Image file extension; detected when None.
    check_files : bool, default=True
        Check now that every listed Id has all requested channel files and
        raise listing the first missing ones. With False the check is left to
        the image loader, which raises when it reaches a missing file.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``ids`` (1-D str array), ``target`` ((n, 28) uint8; train only, else
        None), ``target_names``, ``root``, ``image_dir``, ``channels``,
        ``extension``, ``paths`` ((n, n_channels) array of file paths) and
        ``stems`` (1-D str array of path stems ``{image_dir}/{Id}``). The
        stems are the ``X`` to fit and predict on: they carry their folder,
        so a pipeline starting with an ``ImageLoader()`` without ``root``
        that was fitted on one folder predicts any other.

    Examples
    --------
    >>> import tempfile
    >>> from skhpa.datasets import load_hpa, write_hpa_like
    >>> root = write_hpa_like(tempfile.mkdtemp(), n_train=4, n_test=2,
    ...                       image_size=32, random_state=0)
    >>> data = load_hpa(root)
    >>> data.ids.shape, data.target.shape, data.paths.shape
    ((4,), (4, 28), (4, 4))
    >>> data.stems[0].endswith(data.ids[0])
    True
    """
    if subset not in _DEFAULT_LABEL_FILES:
        raise ValueError(f"subset must be 'train' or 'test', got {subset!r}")
    root = Path(root)
    if root.is_file():
        raise NotADirectoryError(f"{root} is a file; pass the dataset folder")
    if not root.is_dir():
        raise FileNotFoundError(f"dataset folder not found: {root}")
    channels = check_channels(channels)
    labels_path = root / (labels_file or _DEFAULT_LABEL_FILES[subset])
    if subset == "train":
        ids, Y = read_labels_csv(labels_path)
    else:
        ids, Y = read_labels_csv(labels_path, target_column=None)
    directory = root / (image_dir or subset)
    if not directory.is_dir():
        raise FileNotFoundError(f"image folder not found: {directory}")
    if extension is None:
        extension = _detect_extension(directory, ids, channels[0])
    return _dataset_index(root, directory, ids, Y, channels, extension, check=check_files)


def _detect_extension(directory, ids, channel):
    """The extension of the first Id's ``channel`` file; of the first Id that has one if not.

    When only some Ids lack their files, the file check that follows counts and names them.
    """
    extension = find_extension(directory / str(ids[0]), channel)
    if extension is None:
        present = set(os.listdir(directory))
        extension = next(
            (e for e in EXTENSIONS_TRIED if any(f"{i}_{channel}{e}" in present for i in ids)),
            None,
        )
    if extension is None:
        raise FileNotFoundError(
            f"no {channel} channel file for any of the {len(ids)} Ids in {directory} (first "
            f"Id {str(ids[0])!r}; tried {', '.join(IMAGE_EXTENSIONS)}, in any case)"
        )
    return extension


def _dataset_index(root, directory, ids, Y, channels, extension, *, check):
    """The Bunch that load_hpa and load_image_folder return."""
    return Bunch(
        ids=np.asarray(ids, dtype=str),
        target=Y,
        target_names=CLASS_NAMES,
        root=str(root),
        image_dir=str(directory),
        channels=channels,
        extension=extension,
        paths=channel_paths(directory, ids, channels, extension, check=check),
        stems=np.array([str(directory / i) for i in ids], dtype=str),
    )


def channel_files(directory):
    """The channel files in ``directory``: ``{Id: {color: extension}}``.

    A file counts when it is named ``{Id}_{color}{ext}``, with one of the four colors and
    an image extension in any case; hidden files (macOS's ``._`` companions, editors' swap
    files) never do. Private: what :func:`load_image_folder` and the command line read.
    """
    found = {}  # for all four colors: a sample is any Id with one
    for name in os.listdir(directory):
        if name.startswith("."):
            continue
        stem, ext = os.path.splitext(name)
        sample_id, _, color = stem.rpartition("_")
        if sample_id and color in CHANNELS and ext.lower() in IMAGE_EXTENSIONS:
            found.setdefault(sample_id, {})[color] = ext
    return found


def load_image_folder(folder, *, channels=CHANNELS, incomplete="raise"):
    """Index a folder of channel files without a label file: ``{Id}_{color}.{ext}``.

    For images that come without ``train.csv`` or ``sample_submission.csv``
    (an HPA website download, a microscope export): every Id that has a file
    named ``{Id}_{color}`` (any of the four colors), in sorted order; each must
    have a file for every requested channel.

    Parameters
    ----------
    folder : str or path-like
        Folder holding the channel files.
    channels : sequence of str, default=("red", "green", "blue", "yellow")
    incomplete : {"raise", "skip"}, default="raise"
        What to do with an Id that lacks a file of a requested channel: raise,
        or leave it out (its Id and missing channels are in ``incomplete``).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``ids``, ``stems``, ``image_dir``, ``channels``, ``extension`` and
        ``paths``, as :func:`load_hpa` returns them (``target`` is None), and
        ``incomplete``: the ``(Id, missing channels)`` pairs left out.

    Raises
    ------
    FileNotFoundError
        If the folder does not exist or holds no channel file.
    ValueError
        If an Id lacks one of the requested channels (an Id with only a red file,
        when green is requested, too) and ``incomplete="raise"``, if every Id
        does, or if the Ids use several extensions.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skhpa.datasets import load_image_folder, write_hpa_like
    >>> root = write_hpa_like(tempfile.mkdtemp(), 3, 1, image_size=16, random_state=0)
    >>> load_image_folder(Path(root) / "train").ids.shape
    (3,)
    """
    directory = Path(folder)
    channels = check_channels(channels)
    if incomplete not in ("raise", "skip"):
        raise ValueError(f'incomplete must be "raise" or "skip", got {incomplete!r}')
    if not directory.is_dir():
        raise FileNotFoundError(f"image folder not found: {directory}")
    found = channel_files(directory)
    if not any(c in colors for colors in found.values() for c in channels):
        raise FileNotFoundError(
            f"no channel files named {{Id}}_{{color}}{{ext}} in {directory} "
            f"(colors {', '.join(channels)}; extensions {', '.join(IMAGE_EXTENSIONS)})"
        )
    ids = sorted(found)
    for i in ids:  # a file name, not a CSV row, is what names these Ids
        try:
            validate_sample_id(i)
        except ValueError as exc:
            color, ext = next(iter(found[i].items()))
            raise ValueError(
                f"{directory / f'{i}_{color}{ext}'}: the file name gives the sample Id {i!r}, "
                f"which skhpa cannot use ({exc}); rename the sample's files"
            ) from None
    lacking = [(i, [c for c in channels if c not in found[i]]) for i in ids]
    lacking = [(i, missing) for i, missing in lacking if missing]
    if lacking and (incomplete == "raise" or len(lacking) == len(ids)):
        sample_id, missing = lacking[0]
        more = f" (and {len(lacking) - 1} more of the {len(ids)} Ids)" if len(lacking) > 1 else ""
        raise ValueError(
            f"sample {sample_id!r} in {directory} has no file for channel(s) {missing}{more}"
        )
    left_out = {i for i, _ in lacking}
    ids = [i for i in ids if i not in left_out]
    extensions = {found[i][c] for i in ids for c in channels}
    if len(extensions) > 1:
        counts = Counter(found[i][c] for i in ids for c in channels)
        rare = min(counts, key=counts.get)
        example = next(f"{i}_{c}{rare}" for i in ids for c in channels if found[i][c] == rare)
        kinds = " and ".join(f"{n} are {e}" for e, n in sorted(counts.items()))
        raise ValueError(
            f"{directory} mixes image extensions: of its channel files, {kinds} (e.g. "
            f"{example}); skhpa reads one extension per folder: convert the files of one "
            "kind, or keep each extension in its own folder"
        )
    data = _dataset_index(directory, directory, ids, None, channels, extensions.pop(), check=False)
    data.incomplete = lacking
    return data


def write_submission(ids, Y, path):
    """Write predictions in Kaggle's ``Id,Predicted`` format, atomically.

    Parameters
    ----------
    ids : sequence of str
        Sample Ids.
    Y : array-like of shape (n_samples, 28)
        Predicted 0/1 indicator matrix.
    path : str or path-like
        Output CSV. It is written to a temporary file and renamed, so a crash
        never leaves a partial submission.

    Returns
    -------
    path : pathlib.Path

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skhpa.datasets import read_submission, write_submission
    >>> path = os.path.join(tempfile.mkdtemp(), "submission.csv")
    >>> Y = np.zeros((2, 28), dtype=np.uint8); Y[0, [0, 25]] = 1
    >>> _ = write_submission(["a", "b"], Y, path)
    >>> open(path).read().splitlines()
    ['Id,Predicted', 'a,0 25', 'b,']
    >>> int(read_submission(path).target.sum())
    2
    """
    Y = check_multilabel_target(Y, name="Y", n_classes=N_CLASSES)
    ids = [validate_sample_id(str(i), row=r) for r, i in enumerate(ids)]
    if len(ids) != len(Y):
        raise ValueError(f"ids has {len(ids)} entries but Y has {len(Y)} rows")
    return write_kaggle_csv(path, ids, Y, "Predicted")


def write_kaggle_csv(path, ids, Y, target_column):
    """Write a whole ``Id,{target_column}`` file with :func:`write_target_rows`, atomically.

    ``ids`` may be empty (a header only). The caller checks ``ids`` and ``Y``.
    """
    path = Path(path)
    with atomic_write(path, "w", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(["Id", target_column])
        write_target_rows(fh, ids, Y)
    return path


def write_target_rows(fh, ids, Y):
    """Write ``Id,Target`` rows to an open CSV file, with ``Y`` as Kaggle ``Target`` strings.

    The one place that writes the rows of the Kaggle layout's CSV files
    (``train.csv``, ``test_labels.csv``, submissions): :func:`write_submission`
    and :func:`~skhpa.datasets.write_hpa_like` write whole files with it,
    :func:`skhpa.submission.predict_submission` appends chunk after chunk.

    Parameters
    ----------
    fh : text file
        Open for writing, with ``newline=""`` when it is a real file.
    ids : sequence of str
        Sample Ids (already checked).
    Y : array-like of shape (len(ids), n_classes)
        0/1 indicator matrix; ignored when ``ids`` is empty.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> from skhpa.datasets import write_target_rows
    >>> fh = io.StringIO()
    >>> write_target_rows(fh, ["a", "b"], np.array([[1, 0, 1], [0, 0, 0]]))
    >>> fh.getvalue().splitlines()
    ['a,0 2', 'b,']
    """
    if len(ids):
        csv.writer(fh, lineterminator="\n").writerows(zip(ids, format_targets(Y)))


def read_submission(path):
    """Read a Kaggle ``Id,Predicted`` submission file.

    Parameters
    ----------
    path : str or path-like
        The CSV file.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``ids`` and ``target`` ((n, 28) uint8; empty predictions allowed).
    """
    ids, Y = read_labels_csv(path, target_column="Predicted", allow_empty=True)
    return Bunch(ids=ids, target=Y, target_names=CLASS_NAMES)


__all__ = [
    "channel_paths",
    "load_hpa",
    "load_image_folder",
    "read_labels_csv",
    "read_submission",
    "write_submission",
    "write_target_rows",
]
