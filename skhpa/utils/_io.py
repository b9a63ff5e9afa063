"""File-system helpers: atomic writes and safe sample Ids."""

import contextlib
import os
import secrets
from pathlib import Path


def make_temp(parent, prefix, suffix="", *, directory=False):
    """Create a new file or folder named ``{prefix}{random}{suffix}`` in ``parent``.

    Like :func:`tempfile.mkstemp` / :func:`tempfile.mkdtemp`, but with the
    permissions of any new file (``0o666`` / ``0o777`` less the umask) instead
    of private ones (``0o600`` / ``0o700``): what is renamed into place later is
    the user's output, which others may need to read.

    Returns
    -------
    fd : int or None
        The open file descriptor (write-only) of the new file; None for a folder.
    path : pathlib.Path
        The new file or folder.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        path = Path(parent) / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            if directory:
                path.mkdir(0o777)
                return None, path
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name {prefix}...{suffix} in {parent}")


@contextlib.contextmanager
def atomic_write(path, mode="w", *, durable=True, **open_kwargs):
    """Open a temporary file next to ``path`` and rename it over ``path`` on success.

    A reader never sees a partially written ``path``: the data go to a temporary
    file in the same directory, which is flushed, synced and then renamed with
    :func:`os.replace` (atomic on POSIX and Windows). If the body of the ``with``
    block raises, the temporary file is removed and ``path`` is left untouched.

    Parameters
    ----------
    path : str or path-like
        Final destination.
    mode : {"w", "wb"}, default="w"
        Text or binary mode.
    durable : bool, default=True
        Sync the data to disk before the rename (``os.fsync``), so that after
        a power loss ``path`` holds either the old or the whole new content.
        Costs about 4 ms per file here; derived data that a reader can detect
        as torn and rebuild (the decoded-image cache) passes False: the
        rename still makes a partial file invisible to concurrent readers.
    **open_kwargs
        Passed to :func:`open` (e.g. ``newline=""``, ``encoding``).

    Yields
    ------
    file object
        The open temporary file.

    Examples
    --------
    >>> import tempfile, os
    >>> from skhpa.utils import atomic_write
    >>> d = tempfile.mkdtemp()
    >>> with atomic_write(os.path.join(d, "out.txt")) as fh:
    ...     _ = fh.write("hello")
    >>> open(os.path.join(d, "out.txt")).read()
    'hello'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = make_temp(path.parent, f".{path.name}.", ".tmp")
    except OSError as exc:  # name the file asked for, not a hidden temporary one
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    try:
        if "b" not in mode:
            open_kwargs.setdefault("encoding", "utf-8")
        with os.fdopen(fd, mode, **open_kwargs) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename is None:
            # a write that failed (a full disk) says no file: name the one asked for
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise


def validate_sample_id(sample_id, *, row=None):
    """Check that ``sample_id`` is a plain file-name stem and return it as str.

    Ids name files inside a data root (``{root}/{Id}_{color}.png``). An Id that
    contains a path separator, a ``..`` component, a NUL byte or that is an
    absolute path could read files outside the root, so it is rejected.

    Parameters
    ----------
    sample_id : str
        The Id to check.
    row : int, optional
        Row number, used in the error message.

    Returns
    -------
    str
        The Id.

    Raises
    ------
    ValueError
        If the Id is empty or not a plain file-name stem.
    """
    where = f" (row {row})" if row is not None else ""
    if not isinstance(sample_id, str):
        raise ValueError(f"sample Id{where} must be a string, got {type(sample_id).__name__}")
    if (
        not sample_id
        or sample_id.strip() != sample_id
        or "/" in sample_id
        or "\\" in sample_id
        or "\x00" in sample_id
        or ".." in sample_id
        or sample_id == "."
        or os.path.isabs(sample_id)
    ):
        raise ValueError(
            f"invalid sample Id {sample_id!r}{where}: an Id must be a plain file-name "
            "stem without path separators, '..' or surrounding whitespace"
        )
    return sample_id
