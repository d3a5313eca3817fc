"""Saving a local workbook file so that a crash, a full disk or a person never costs a byte.

``save_file`` takes the path and a *producer* (a function that writes the new file's bytes to a
stream) and does the rest, whatever wrote the bytes:

1. refuse while Excel or LibreOffice holds the file open, while someone has saved it since it
   was read, or when it is read-only for this user (no write bit for anyone: read-only even
   for root, who could write it otherwise);
2. remove temporary files that an earlier save of this workbook left behind when it was killed
   (only names this module makes, and only when no save is writing them);
3. write the new bytes to a temporary file in the same folder, then a copy of the current file
   to a second one, each with the current file's owner, group and mode, each flushed to disk;
4. check once more that nobody saved meanwhile, then rename the copy over ``NAME.xlsx.bak`` and
   the new file over ``NAME.xlsx``.

A save with ``keep_backup`` (only the worker's bookkeeping changed, e.g. the notify ledger
written after a run) leaves an existing ``NAME.xlsx.bak`` as it is, so that it still holds the
file from before the last save that changed what people see; a file without a backup gets one.

A rename replaces a file in one step, so at every instant the workbook is either the old one or
the new one and the backup either the previous backup or the old workbook — never half of
either. A failure (a full disk included) removes the temporary files and leaves both files as
they were.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from sheetfunnel.errors import (
    WorkbookError,
    WorkbookLocked,
    WorkbookNotFound,
    WorkbookNotWritable,
    WorkbookUnreadable,
)

try:
    import fcntl
except ImportError:  # Windows: a file being written cannot be removed there anyway
    fcntl = None  # type: ignore[assignment]

Stamp = tuple[int, int]  # (mtime in ns, size): how a file's change is noticed
#: Writes the new file's bytes to the stream it is given (seekable, like a file).
Produce = Callable[[BinaryIO], None]
#: Opens a temporary file's descriptor for writing; tests replace it to fill the disk.
Opener = Callable[[int], BinaryIO]

TEMP_MARK = "sheetfunnel-"
_BUFFER = 1 << 20
_NO_WRITE_BIT = 0o222


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + ".bak")


def open_for_writing(descriptor: int) -> BinaryIO:
    return open(descriptor, "wb", buffering=_BUFFER)


def save_file(path: Path, produce: Produce, *, seen: Stamp | None,
              opener: Opener | None = None, keep_backup: bool = False) -> Stamp:
    """Save what ``produce`` writes as ``path`` (see the module's steps); the new stamp.

    ``seen`` is the file's stamp when it was read; ``None`` for a file made anew (``init``),
    which is then written whether or not a file is in the way (the old one becomes the backup).
    ``keep_backup``: an existing backup is not replaced.
    """
    check_not_open(path)
    current = _current(path)
    if seen is not None and (current is None or (current.st_mtime_ns,
                                                 current.st_size) != seen):
        raise changed_meanwhile(path)
    if current is not None and (not current.st_mode & _NO_WRITE_BIT
                                or not os.access(path, os.W_OK)):
        raise not_writable(path, PermissionError(errno.EACCES, "the file is read-only"))
    remove_stale_temps(path)
    temps: list[_Temp] = []
    try:
        fresh = _Temp(path, opener or open_for_writing)
        temps.append(fresh)
        fresh.fill(produce, current)
        if current is not None and not (keep_backup and backup_path(path).exists()):
            copy = _Temp(path, opener or open_for_writing)
            temps.append(copy)
            copy.fill(lambda out: _copy_bytes(path, out), current)
            copy.keep_times(current)
            if seen is not None and stamp(path) != seen:
                raise changed_meanwhile(path)
            os.replace(copy.name, backup_path(path))
        elif seen is not None and stamp(path) != seen:
            raise changed_meanwhile(path)
        os.replace(fresh.name, path)
        _sync_folder(path.parent)
    except OSError as exc:
        raise not_writable(path, exc) from None
    finally:
        for temp in temps:
            temp.discard()
    return stamp(path)


def stamp(path: Path) -> Stamp:
    """When the file was last saved and how long it is; raises when it is not a file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise WorkbookNotFound(f"There is no workbook at {path}. Check the path, or create "
                               f"one with: sheetfunnel init {path}") from None
    except OSError as exc:
        raise not_writable(path, exc) from None
    if not path.is_file():
        raise WorkbookUnreadable(f"{path} is a folder, not a workbook. Give the path of an "
                                 ".xlsx file.")
    return info.st_mtime_ns, info.st_size


def check_not_open(path: Path) -> None:
    """Excel and LibreOffice leave an owner file beside a workbook they have open."""
    folder, name = path.parent, path.name
    for owner in (f"~${name}", f"~${name[2:]}", f".~lock.{name}#"):
        if (folder / owner).exists():
            raise WorkbookLocked(f"{path} is open in Excel or LibreOffice ({owner} exists "
                                 "beside it). Close it there and run again; if it is not open "
                                 f"anywhere, delete {owner}.")


def changed_meanwhile(path: Path) -> WorkbookLocked:
    return WorkbookLocked(f"{path} changed while sheetfunnel was running (someone saved it). "
                          "Nothing was written; run again.")


def not_writable(path: Path, exc: OSError) -> WorkbookError:
    """The sentence for a failed save: what happened to ``path`` and what to do."""
    kept = (f"{path.name} and its backup {backup_path(path).name} were left as they were")
    if getattr(exc, "winerror", None) in (32, 33):  # Windows: in use by another program
        return WorkbookLocked(f"{path} is in use by another program. Close it there and run "
                              "again.")
    if exc.errno == errno.ENOSPC:
        return WorkbookNotWritable(f"The disk is full: {path} could not be saved; {kept}. Free "
                                   f"some space on the disk that holds {path.parent} and run "
                                   "again.")
    if exc.errno == errno.EDQUOT:
        return WorkbookNotWritable(f"Your disk quota is used up: {path} could not be saved; "
                                   f"{kept}. Free some of your space, or ask for a larger "
                                   "quota, and run again.")
    if exc.errno == errno.EROFS:
        return WorkbookNotWritable(f"{path} cannot be written (the disk is read-only); {kept}. "
                                   "Copy the workbook to a writable disk and run it there.")
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return WorkbookNotWritable(f"{path} cannot be written ({reason}). Make the file and its "
                                   "folder writable for your user, or copy the workbook "
                                   "somewhere writable.")
    return WorkbookNotWritable(f"{path} cannot be written ({reason}); {kept}. Check the disk "
                               "and run again.")


# -- stale temporary files ------------------------------------------------------------------

def temp_name_pattern(path: Path) -> re.Pattern[str]:
    """Names of this module's temporary files for ``path`` (and the unmarked names saves
    made before the mark, which a killed save may have left)."""
    return re.compile(rf"\.{re.escape(path.name)}\.(?:{TEMP_MARK})?[a-z0-9_]{{8}}\.tmp")


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove the temporary files a killed save of ``path`` left; the ones removed.

    A save holds an OS lock on its temporary file while it writes, so a file that can be
    locked has no writer left. Nothing that only resembles these names is touched.
    """
    pattern, removed = temp_name_pattern(path), list[Path]()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False) and \
                _unused(entry.path):
            try:
                os.remove(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


def _unused(name: str) -> bool:
    if fcntl is None:
        return True  # removing a file another program has open fails there: skipped
    try:
        descriptor = os.open(name, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(descriptor)  # closing drops the lock
    return True


# -- temporary files ------------------------------------------------------------------------

class _Temp:
    """A temporary file beside ``path``, locked while this save writes it."""

    def __init__(self, path: Path, opener: Opener):
        self.descriptor, self.name = tempfile.mkstemp(prefix=f".{path.name}.{TEMP_MARK}",
                                                      suffix=".tmp", dir=path.parent)
        if fcntl is not None:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        self._opener = opener

    def fill(self, produce: Produce, like: os.stat_result | None) -> None:
        """Write what ``produce`` writes, with ``like``'s owner, group and mode, to disk."""
        _take_over(self.name, like)
        stream = _Output(self._opener(os.dup(self.descriptor)))
        try:
            produce(stream)  # type: ignore[arg-type]
            stream.finish()
        finally:
            stream.abandon()
        os.fsync(self.descriptor)

    def keep_times(self, like: os.stat_result) -> None:
        """The backup keeps the time the workbook was last saved, as a copy made by hand."""
        os.utime(self.name, ns=(like.st_atime_ns, like.st_mtime_ns))

    def discard(self) -> None:
        """Close; remove the file unless it was renamed into place."""
        os.close(self.descriptor)
        with contextlib.suppress(OSError):  # renamed into place, or left for the next save
            os.remove(self.name)


def _take_over(name: str, like: os.stat_result | None) -> None:
    """Give the file ``like``'s owner, group and mode; a new workbook is rw-r--r--."""
    if like is None:
        os.chmod(name, 0o644)
        return
    if hasattr(os, "chown"):
        try:
            os.chown(name, like.st_uid, like.st_gid)
        except PermissionError:  # only root can give a file away; keep the group if we may
            with contextlib.suppress(PermissionError):
                os.chown(name, -1, like.st_gid)
    os.chmod(name, like.st_mode & 0o7777)


def _copy_bytes(path: Path, out: BinaryIO) -> None:
    with open(path, "rb") as source:
        shutil.copyfileobj(source, out, _BUFFER)


def _current(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise not_writable(path, exc) from None


def _sync_folder(folder: Path) -> None:
    """Make the renames themselves durable (POSIX; nothing to do elsewhere)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class _Output:
    """The stream a producer writes to. Once the save gives up (a full disk), it swallows
    whatever is still written, keeping count of positions, so that a producer's half-written
    zip archive that closes itself later raises nothing more (no "Exception ignored" lines on
    stderr)."""

    def __init__(self, target: BinaryIO):
        self._target: BinaryIO | None = target
        self._position = self._end = 0

    def write(self, data: bytes) -> int:
        written = self._target.write(data) if self._target is not None else len(data)
        self._moved(self._position + written)
        return written

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if self._target is not None:
            self._moved(self._target.seek(offset, whence))
        else:
            base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position}.get(whence, self._end)
            self._moved(base + offset)
        return self._position

    def _moved(self, position: int) -> None:
        self._position = position
        self._end = max(self._end, position)

    def seekable(self) -> bool:
        return True

    def flush(self) -> None:
        if self._target is not None:
            self._target.flush()

    def finish(self) -> None:
        """Everything written reaches the file (a full disk is raised here at the latest)."""
        if self._target is not None:
            target, self._target = self._target, None
            target.close()

    def abandon(self) -> None:
        if self._target is not None:
            target, self._target = self._target, None
            with contextlib.suppress(OSError):
                target.close()
