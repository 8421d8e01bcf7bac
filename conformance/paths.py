"""Checks on the paths a user gives, made before any work: inputs must be files (or folders where a
folder is meant), outputs must be creatable. Each failure is one line naming the option and value.

The message rule (every bad-input message follows it)::

    <option as the user wrote it> <value, cut at 80 characters with "…">: <what is wrong> (<how to fix it>)

where the option is the flag (``--data``) or, for a value from a run file, ``run file PATH: key``.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from conformance.errors import InputError
from conformance.limits import MAX_SHOWN

NAME_MAX = 255


def shown(value: object, limit: int = MAX_SHOWN) -> str:
    """A user's value as echoed in a message: cut at ``limit`` characters with "…"."""
    text = str(value)
    if not text:
        return "''"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _stat(path: Path, option: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise InputError(f"{option} {shown(path)}: the name is too long", "give a shorter path") from exc
        if exc.errno == errno.ENOTDIR:
            return None
        raise InputError(f"{option} {shown(path)}: cannot be read ({exc.strerror})") from exc


def require_input(path: Path, option: str, *, folder: bool = False, hint: str = "check the path") -> Path:
    """``path`` must be a regular file (or, with ``folder``, a folder too): never a pipe or a device,
    which would block or never end."""
    info = _stat(Path(path), option)
    if info is None:
        raise InputError(f"{option} {shown(path)}: no such file", hint)
    if stat.S_ISDIR(info.st_mode):
        if not folder:
            raise InputError(f"{option} {shown(path)}: is a folder, not a file", "give the file itself")
        return Path(path)
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{option} {shown(path)}: is not a regular file (a pipe, socket or device)", "give a file")
    return Path(path)


def _too_long(path: Path) -> bool:
    return any(len(os.fsencode(part)) > NAME_MAX for part in path.parts) or len(os.fsencode(str(path))) >= 4096


def _nearest_existing(path: Path, option: str) -> Path:
    """The closest ancestor of ``path`` that exists; a file on the way makes ``path`` impossible."""
    for parent in path.absolute().parents:
        info = _stat(parent, option)
        if info is None:
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise InputError(f"{option} {shown(path)}: {shown(parent)} is a file, not a folder", "choose another --output")
        return parent
    return Path("/")


def require_output_folder(path: Path, option: str = "--output") -> Path:
    """A folder the reports can be written into: absent (it will be made) or a folder, under folders, writable."""
    path = Path(path)
    if _too_long(path):
        raise InputError(f"{option} {shown(path)}: the name is too long", "give a shorter path")
    info = _stat(path, option)
    if info is not None:
        if not stat.S_ISDIR(info.st_mode):
            raise InputError(f"{option} {shown(path)}: is a file, not a folder", "give a folder; it is made if absent")
        where = path
    else:
        where = _nearest_existing(path, option)
    if not os.access(where, os.W_OK | os.X_OK):
        raise InputError(f"{option} {shown(path)}: {shown(where)} is not writable", "choose a folder you can write to")
    return path


def require_output_file(path: Path, option: str = "--output") -> Path:
    """A file that can be written: not a folder, under folders, with a name the system accepts."""
    path = Path(path)
    if _too_long(path):
        raise InputError(f"{option} {shown(path)}: the name is too long", "give a shorter path")
    info = _stat(path, option)
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise InputError(f"{option} {shown(path)}: is a folder", "give a file name")
    if info is None:
        _nearest_existing(path, option)
    return path
