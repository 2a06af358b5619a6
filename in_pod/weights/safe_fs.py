"""The revision directory, walked without following a symlink beneath it.

Only the downloader writes under the revision directory, and it writes only regular files and directories; a symlink
found there was planted (by anyone with write access to the cache) and following it could write, or delete, outside.
So every directory on the way is checked with lstat, files are opened with O_NOFOLLOW, and a link is a permanent
fault naming its path. A file in place that is a link counts as missing: its verified replacement is renamed over the
link itself. (A writer racing the download could still swap a directory between the check and the use; such a writer
can already change the weights, so that is out of scope.)
"""

import contextlib
import errno
import os
import stat
from pathlib import Path, PurePosixPath

from .errors import PermanentError


def refused(path: Path, what: str) -> PermanentError:
    return PermanentError(
        f"{path} {what}; the downloader follows no link under the revision directory, so nothing was written through "
        "it. Fix: remove it (it was not written by the downloader) and rerun the Job"
    )


def check_root(root: Path) -> None:
    """The revision directory itself must be a real directory (its parents are the cache's own layout)."""
    st = os.lstat(root)
    if stat.S_ISLNK(st.st_mode):
        raise refused(root, "is a symlink")
    if not stat.S_ISDIR(st.st_mode):
        raise refused(root, "is not a directory")


def real_dir(root: Path, rel: str | PurePosixPath = "", create: bool = True) -> Path:
    """`root/rel` as a real directory, made where missing when `create`; a link or a file on the way is refused."""
    check_root(root)
    here = root
    for part in PurePosixPath(rel).parts:
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            if not create:
                raise
            with contextlib.suppress(FileExistsError):  # another transfer made it first
                os.mkdir(here)
            st = os.lstat(here)
        if stat.S_ISLNK(st.st_mode):
            raise refused(here, "is a symlink")
        if not stat.S_ISDIR(st.st_mode):
            raise refused(here, "is in the way of a directory")
    return here


def regular_size(path: Path) -> int | None:
    """The size of `path` if it is a regular file (not a link, not a directory); None otherwise or when absent."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def open_nofollow(path: Path, flags: int, mode: int = 0o644) -> int:
    """os.open that refuses a link as the last component (the directories were checked by real_dir)."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as e:
        if e.errno == errno.ELOOP:  # the last component is a symlink
            raise refused(path, "is a symlink") from None
        raise


def unlink_below(root: Path, rel: str) -> None:
    """Remove root/rel if present, refusing if a directory on its way is a link (unlink never follows the last one)."""
    parent = PurePosixPath(rel).parent
    try:
        real_dir(root, parent, create=False)
    except FileNotFoundError:
        return
    (root / rel).unlink(missing_ok=True)
