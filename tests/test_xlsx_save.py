"""The save step of a local workbook (``xlsx_save.save_file``): a full disk, a kill -9, root,
and a person's files beside the workbook never cost the workbook or its backup a byte.

The tests call the save step with a real producer (an openpyxl workbook writing itself), so
they hold for any writer that hands its bytes to ``save_file``.
"""

from __future__ import annotations

import datetime as dt
import errno
import gc
import io
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from sheetfunnel import init
from sheetfunnel.cli import cli
from sheetfunnel.errors import WorkbookLocked, WorkbookNotWritable
from sheetfunnel.workbook import xlsx_save
from sheetfunnel.workbook.xlsx_save import backup_path, remove_stale_temps, save_file, stamp

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

ROWS = 600
MARK_COL = 6  # every data cell of this column holds the workbook's generation


def _workbook(generation: int, rows: int = ROWS) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    deals = book.active
    deals.title = "Opportunities"
    deals.append(["ID", "Stage", "Qty", "Price", "Note", "Generation"])
    for row in range(rows):
        deals.append([f"OPP-{row}", "Lead", row, row * 1.5, "call back on Friday", generation])
    return book


def _fixed_bytes(generation: int):
    """A producer that writes the same bytes every time (an openpyxl save stamps the time, so
    two saves a second apart may differ in size by a byte once compressed)."""
    buffer = io.BytesIO()
    _workbook(generation).save(buffer)
    data = buffer.getvalue()
    return lambda handle: handle.write(data)


def _generation(path: Path) -> int:
    """The generation a whole workbook file holds; fails if it does not open or is mixed."""
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    try:
        marks = {row[MARK_COL - 1] for row in book["Opportunities"].iter_rows(
            min_row=2, values_only=True)}
    finally:
        book.close()
    assert len(marks) == 1, marks
    return int(marks.pop())


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """A workbook in generation 1 with a backup in generation 0."""
    path = tmp_path / "pipeline.xlsx"
    _workbook(0).save(path)
    save_file(path, _workbook(1).save, seen=stamp(path))
    assert (_generation(path), _generation(backup_path(path))) == (1, 0)
    return path


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """What Python would print as "Exception ignored in ..." on stderr."""
    seen: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook",
                        lambda hook: seen.append(f"{hook.object!r}: {hook.exc_value!r}"))
    yield seen


class FullDisk:
    """A disk with room for ``room`` more bytes over every file written, then ENOSPC.

    Its files buffer like real ones, so the error can surface in a write, a flush or a close.
    """

    def __init__(self, room: int):
        self.room = room
        self.written = 0

    def opener(self, descriptor: int) -> io.BufferedWriter:
        return io.BufferedWriter(_FillingFile(descriptor, self), 1 << 16)


class _FillingFile(io.RawIOBase):
    def __init__(self, descriptor: int, disk: FullDisk):
        self._file = io.FileIO(descriptor, "w")
        self._disk = disk

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        fits = min(len(data), self._disk.room)
        if fits == 0 and len(data):
            raise OSError(errno.ENOSPC, "No space left on device")
        self._disk.room -= fits
        self._disk.written += fits
        return self._file.write(bytes(data)[:fits]) or 0

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def close(self) -> None:
        self._file.close()
        super().close()


def _bytes_of_a_whole_save(path: Path, produce) -> int:
    """How many bytes a save by ``produce`` writes (its file and the backup copy)."""
    disk = FullDisk(1 << 40)
    copy = path.parent / "measure" / path.name
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    save_file(copy, produce, seen=stamp(copy), opener=disk.opener)
    return disk.written


def test_a_full_disk_at_any_point_of_a_save_keeps_the_workbook_and_its_backup(
        saved: Path, unraisable: list[str]) -> None:
    content, backup = saved.read_bytes(), backup_path(saved).read_bytes()
    produce = _fixed_bytes(2)  # one producer: two openpyxl saves may differ by a byte
    total = _bytes_of_a_whole_save(saved, produce)
    new_size = total - len(content)
    cuts = sorted({0, 1, new_size - 1, new_size, new_size + 1, total - 1,
                   *random.Random(11).sample(range(total), 14)})
    for room in cuts:
        with pytest.raises(WorkbookNotWritable) as failure:
            save_file(saved, produce, seen=stamp(saved), opener=FullDisk(room).opener)
        message = str(failure.value)
        assert message.startswith(f"The disk is full: {saved} could not be saved"), message
        assert "Free some space" in message and "write access" not in message
        assert saved.read_bytes() == content, room
        assert backup_path(saved).read_bytes() == backup, room
        assert _temps(saved.parent) == [], room
    gc.collect()
    assert unraisable == []
    save_file(saved, _workbook(2).save, seen=stamp(saved))  # room again: it saves
    assert (_generation(saved), _generation(backup_path(saved))) == (2, 1)


def test_a_full_disk_during_a_run_is_one_sentence_and_exit_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unraisable: list[str]) -> None:
    path = tmp_path / "pipeline.xlsx"
    init(path, lang="en", demo=True, as_of=dt.date(2026, 11, 24))
    content = path.read_bytes()
    disk = FullDisk(len(content) // 2)
    monkeypatch.setattr(xlsx_save, "open_for_writing", disk.opener)
    result = CliRunner().invoke(cli, ["run", str(path), "--as-of", "2026-11-24"])
    gc.collect()
    assert result.exit_code == 3, result.output
    assert "The disk is full" in result.output and "pipeline.xlsx" in result.output
    assert "Traceback" not in result.output and "Exception ignored" not in result.output
    assert unraisable == []
    assert path.read_bytes() == content
    assert not backup_path(path).exists()
    assert _temps(tmp_path) == []


def test_the_backup_is_the_previous_file_whole(saved: Path) -> None:
    before, when = saved.read_bytes(), saved.stat().st_mtime_ns
    save_file(saved, _workbook(2).save, seen=stamp(saved))
    assert backup_path(saved).read_bytes() == before
    assert backup_path(saved).stat().st_mtime_ns == when
    assert _generation(saved) == 2


def test_a_bookkeeping_save_keeps_the_backup(saved: Path) -> None:
    """``keep_backup`` (the notify ledger written after a run): the backup stays the file
    from before the last save that changed what people see; a person saving meanwhile still
    wins; a file without a backup gets one."""
    backup = backup_path(saved).read_bytes()
    save_file(saved, _workbook(2).save, seen=stamp(saved), keep_backup=True)
    assert _generation(saved) == 2 and backup_path(saved).read_bytes() == backup

    def save_while_a_person_saves(out) -> None:
        _workbook(3).save(out)
        _workbook(7).save(saved)

    with pytest.raises(WorkbookLocked, match="changed while sheetfunnel was running"):
        save_file(saved, save_while_a_person_saves, seen=stamp(saved), keep_backup=True)
    assert _generation(saved) == 7 and backup_path(saved).read_bytes() == backup
    assert _temps(saved.parent) == []
    backup_path(saved).unlink()
    save_file(saved, _workbook(4).save, seen=stamp(saved), keep_backup=True)
    assert (_generation(saved), _generation(backup_path(saved))) == (4, 7)


def test_someone_saving_during_the_save_wins(saved: Path) -> None:
    backup = backup_path(saved).read_bytes()

    def save_while_a_person_saves(out) -> None:
        _workbook(2).save(out)
        _workbook(7).save(saved)  # the person's save lands meanwhile

    with pytest.raises(WorkbookLocked, match="changed while sheetfunnel was running"):
        save_file(saved, save_while_a_person_saves, seen=stamp(saved))
    assert _generation(saved) == 7
    assert backup_path(saved).read_bytes() == backup
    assert _temps(saved.parent) == []


def test_stale_temporary_files_go_and_a_persons_files_stay(saved: Path) -> None:
    folder = saved.parent
    ours = [".pipeline.xlsx.sheetfunnel-k2j4h5g6.tmp", ".pipeline.xlsx.abcd_123.tmp",
            ".pipeline.xlsx.abcd1234.tmp"]  # the last: as saves named them before
    persons = [".pipeline.xlsx.notes.tmp", ".pipeline.xlsx.abcd1234.tmp.txt",
               "pipeline.xlsx.abcd1234.tmp", ".other.xlsx.abcd1234.tmp",
               ".pipeline.xlsx.sheetfunnel-abcd1234.TMP", "notes.tmp"]
    for name in ours + persons:
        (folder / name).write_bytes(b"half a workbook")
    (folder / ".pipeline.xlsx.sheetfunnel-folder00.tmp").mkdir()
    save_file(saved, _workbook(2).save, seen=stamp(saved))
    left = {p.name for p in folder.iterdir()} - {saved.name, backup_path(saved).name}
    assert left == {*persons, ".pipeline.xlsx.sheetfunnel-folder00.tmp"}


@pytest.mark.skipif(fcntl is None, reason="needs POSIX file locks")
def test_a_temporary_file_another_save_is_writing_stays(saved: Path) -> None:
    busy = saved.parent / ".pipeline.xlsx.sheetfunnel-busy0000.tmp"
    busy.write_bytes(b"being written")
    with open(busy, "rb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)
        assert remove_stale_temps(saved) == []
    assert remove_stale_temps(saved) == [busy]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can hand a file to another owner")
def test_saving_as_root_keeps_owner_group_and_mode(saved: Path) -> None:
    os.chown(saved, 4321, 8765)
    os.chmod(saved, 0o640)
    save_file(saved, _workbook(2).save, seen=stamp(saved))
    for path in (saved, backup_path(saved)):
        info = path.stat()
        assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (4321, 8765, 0o640), path


def test_a_new_file_is_readable_by_everyone(tmp_path: Path) -> None:
    path = tmp_path / "new.xlsx"
    save_file(path, _workbook(0).save, seen=None)
    assert path.stat().st_mode & 0o777 == 0o644
    assert not backup_path(path).exists() and _generation(path) == 0


def test_no_write_bit_for_anyone_is_read_only_even_for_root(saved: Path) -> None:
    os.chmod(saved, 0o444)
    content, backup = saved.read_bytes(), backup_path(saved).read_bytes()
    with pytest.raises(WorkbookNotWritable, match=r"pipeline\.xlsx cannot be written "
                                                  r"\(the file is read-only\)") as failure:
        save_file(saved, _workbook(2).save, seen=stamp(saved))
    assert failure.value.exit_code == 3
    assert saved.read_bytes() == content and backup_path(saved).read_bytes() == backup


# -- kill -9 at random points of real saves ------------------------------------------------

#: Imports once, then for each line "DELAY" forks a child that loads the workbook, makes the
#: next generation and saves it; the child is killed (SIGKILL) DELAY seconds into its save.
#: Answers "killed" or "saved SECONDS" per line.
SAVER = """
import os, signal, sys, time
from pathlib import Path
import openpyxl
from sheetfunnel.workbook.xlsx_save import save_file, stamp

path, column = Path(sys.argv[1]), int(sys.argv[2])
for line in sys.stdin:
    delay = float(line)
    ready, told = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(ready)
        book = openpyxl.load_workbook(path)
        sheet = book["Opportunities"]
        generation = sheet.cell(2, column).value + 1
        for row in range(2, sheet.max_row + 1):
            sheet.cell(row, column).value = generation
        seen = stamp(path)
        os.write(told, b"go")
        started = time.perf_counter()
        save_file(path, book.save, seen=seen)
        os.write(told, str(time.perf_counter() - started).encode())
        os._exit(0)
    os.close(told)
    os.read(ready, 2)
    if delay >= 0:
        time.sleep(delay)
        os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    took = os.read(ready, 64).decode()
    os.close(ready)
    print(f"saved {took}" if took else "killed", flush=True)
"""


@pytest.mark.skipif(fcntl is None or not hasattr(os, "fork"), reason="needs fork and SIGKILL")
def test_kill_9_at_random_points_of_30_saves_leaves_whole_files(saved: Path) -> None:
    saver = subprocess.Popen([sys.executable, "-c", SAVER, str(saved), str(MARK_COL)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert saver.stdin is not None and saver.stdout is not None

    def save(delay: float) -> str:
        saver.stdin.write(f"{delay}\n")
        saver.stdin.flush()
        return saver.stdout.readline().strip()

    try:
        took = float(save(-1).split()[1])  # one whole save, to know how long one takes
        generation, backup = 2, 1
        assert (_generation(saved), _generation(backup_path(saved))) == (generation, backup)
        delays = random.Random(13)
        outcomes = []
        for _ in range(30):
            outcomes.append(save(delays.uniform(0, took)).split()[0])
            now, now_backup = _generation(saved), _generation(backup_path(saved))
            assert now in (generation, generation + 1)
            assert now_backup in (backup, generation)
            if now == generation + 1:
                assert now_backup == generation
                generation, backup = now, generation
            else:
                backup = now_backup
        assert outcomes.count("killed") >= 10  # timing varies with the machine's load
        assert save(-1).startswith("saved")  # the next whole save cleans up after the kills
        assert (_generation(saved), _generation(backup_path(saved))) == (generation + 1,
                                                                        generation)
        assert _temps(saved.parent) == []
    finally:
        saver.stdin.close()
        saver.wait(timeout=60)
