"""Pickle and joblib files: read what they would import without running anything, then load under a policy.

A pickle names every callable it uses as a *global* (``module.name``). :func:`scan_file` reads
the opcodes with :func:`pickletools.genops` and follows the pickle machine's stack symbolically:
strings, numbers and containers are tracked as values, every other object as an inert record of
the callable that would build it. Nothing is imported, constructed or unpickled, so a file cannot
run code while it is scanned.

A joblib file is the same pickle with the raw bytes of each numpy array written right after the
array's header (a ``NumpyArrayWrapper`` record whose state gives shape and dtype). The scan sizes
each array from that state and skips its bytes; an array of Python objects is a nested pickle and
is scanned the same way. Compressed joblib files (zlib, gzip, bz2, lzma, xz) are read through the
standard library's decompressors with a bound on the bytes they may expand to. Older joblib
layouts whose arrays live in other files (``NDArrayWrapper``, ``ZNDArrayWrapper``) are refused.

:func:`verdict` sorts the imports: exact names in :data:`ALLOWED_GLOBALS` pass, names in
:data:`DENIED` never pass, any other name passes only when the user names it with
``--trust-type``. :func:`load_file` then unpickles with the standard library's pure-Python
unpickler whose ``find_class`` enforces the same policy, and reads joblib's inline arrays itself
(joblib is not needed, and its loaders are never called).
"""

from __future__ import annotations

import _compat_pickle
import bz2
import gzip
import importlib
import io
import lzma
import math
import os
import pickle
import pickletools
import re
import zlib
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator

from conformance.io.allowed_globals import ALLOWED_GLOBALS
from conformance.limits import MAX_UNPACKED

WRAPPER = "joblib.numpy_pickle.NumpyArrayWrapper"
UNREADABLE = "?.?"  # a STACK_GLOBAL whose module or name is not a string the scan can read
CALL_OF_BUILT = "?.call"  # a REDUCE/NEWOBJ whose callable is an object the pickle built, not an import

# Globals refused whatever the flags: they run code, import, reach attributes by name, or touch
# files, processes or the network. (Any other name outside the allow-list needs --trust-type.)
DENIED_MODULES = (
    "os", "posix", "nt", "subprocess", "sys", "shutil", "socket", "importlib", "runpy", "pickle",
    "_pickle", "marshal", "ctypes", "code", "codeop", "pty", "webbrowser", "types", "operator",
    "_operator", "functools", "_functools", "inspect", "pdb", "bdb", "timeit", "cProfile",
    "profile", "threading", "_thread", "multiprocessing", "asyncio", "http", "urllib", "ftplib",
    "smtplib", "tempfile", "glob", "pathlib", "io", "_io", "zipimport", "pkgutil", "site",
    "joblib", "cloudpickle", "dill", "numpy.testing", "numpy.f2py", "numpy.distutils",
    "numpy.lib.npyio", "numpy.lib._npyio_impl", "sklearn.utils._testing", "sklearn.datasets",
    "torch", "__main__",
)
DENIED_NAMES = frozenset(
    {
        *(f"builtins.{n}" for n in (
            "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "__import__",
            "globals", "locals", "vars", "input", "breakpoint", "memoryview", "type", "super",
            "classmethod", "staticmethod", "property", "help", "exit", "quit",
        )),
        "numpy.load", "numpy.loadtxt", "numpy.genfromtxt", "numpy.fromfile", "numpy.save",
        "numpy.savez", "numpy.memmap", "numpy.DataSource", "numpy.core._ufunc_reconstruct",
        "numpy._core._ufunc_reconstruct", "numpy.core.memmap.memmap", "numpy._core.memmap.memmap",
        "numpy.lib._datasource.DataSource", "numpy.lib._datasource.Repository",
        "joblib.numpy_pickle_compat.NDArrayWrapper", "joblib.numpy_pickle_compat.ZNDArrayWrapper",
        "joblib.numpy_pickle.NDArrayWrapper", "joblib.numpy_pickle.ZNDArrayWrapper",
        "scipy.io.loadmat", "pandas.read_pickle", "pandas.io.pickle.read_pickle",
        UNREADABLE, CALL_OF_BUILT,
    }
)


class ScanError(Exception):
    """The file is not a pickle the scan can read to its end (damaged, truncated, or of a layout it refuses)."""


@dataclass(frozen=True)
class Scan:
    """What a scan read: every import in order of first appearance, the compression, the inline arrays."""

    imports: tuple[str, ...]
    compression: str | None = None
    arrays: int = 0

    @property
    def joblib(self) -> bool:
        return self.compression is not None or self.arrays > 0


@dataclass(frozen=True)
class Verdict:
    """What a scan found, sorted by the policy: ``refused`` is empty when the file may load."""

    imports: tuple[str, ...]
    refused: tuple[str, ...]
    denied: tuple[str, ...] = ()
    """The refused names no flag admits (they run code or touch files)."""


def python3_name(module: str, name: str) -> tuple[str, str]:
    """A Python 2 name (``__builtin__.set``, ``copy_reg._reconstructor``) as Python 3 loads it."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _global(module: str, name: str) -> str:
    module, name = python3_name(module, name)
    return f"{module}.{name}"


def is_denied(name: str) -> bool:
    """A global no flag admits: it runs code, imports, reaches attributes by name or touches files."""
    if name in DENIED_NAMES or name.startswith("copyreg extension"):
        return True
    return any(name == m or name.startswith(m + ".") for m in DENIED_MODULES)


def verdict(imports: Iterable[str], trusted: Iterable[str]) -> Verdict:
    """Sort scanned names: allowed exactly, named by the user (``--trust-type``), or refused."""
    imports = tuple(imports)
    named = set(trusted)
    denied = tuple(n for n in imports if n not in ALLOWED_GLOBALS and is_denied(n))
    refused = tuple(n for n in imports if n not in ALLOWED_GLOBALS and (n in denied or n not in named))
    return Verdict(imports, refused, denied)


# ---------------------------------------------------------------- reading the bytes, bounded


_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZ", "bz2"),
    (b"\xfd7zXZ", "xz"),
    (b"\x5d\x00", "lzma"),
    (b"\x78", "zlib"),
    (b"\x04\x22\x4d\x18", "lz4"),
    (b"ZF", "joblib<0.10"),
)


class _ZlibReader(io.RawIOBase):
    """A zlib stream (joblib's ``compress=True``) decompressed as it is read."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw, self._z, self._pending = raw, zlib.decompressobj(), b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        while not self._pending:
            if self._z.eof or not len(view):
                return 0
            data = self._z.unconsumed_tail or self._raw.read(1 << 16)
            if not data:
                raise ScanError("the zlib stream ends before its end marker")
            self._pending = self._z.decompress(data, len(view))
        n = min(len(view), len(self._pending))
        view[:n], self._pending = self._pending[:n], self._pending[n:]
        return n


class _Bounded:
    """A file whose reads may not ask for more than ``limit`` bytes in all.

    A pickle's length fields are written by whoever made the file: a claim of 8 EiB must be
    refused before anything is allocated for it, and a compressed file may not expand forever.
    """

    def __init__(self, raw: IO[bytes], limit: int, what: str) -> None:
        self._raw, self.left, self._what = raw, limit, what

    def _spend(self, n: int) -> None:
        if n > self.left:
            raise ScanError(f"it asks for more bytes than {self._what}")

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.left
        self._spend(n)
        data = self._raw.read(n)
        self.left -= len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        line = self._raw.readline(min(self.left, 1 << 20) if limit < 0 else min(limit, self.left))
        self.left -= len(line)
        return line


@contextmanager
def open_model(path: Path) -> Iterator[tuple[_Bounded, str | None]]:
    """The file's pickle bytes (decompressed when joblib compressed it) and the compression's name."""
    with open(path, "rb") as raw:
        head = raw.read(8)
        raw.seek(0)
        kind = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
        if kind == "lz4":
            raise ScanError("it is compressed with lz4, which conformance does not read (re-save with compress=3)")
        if kind == "joblib<0.10":
            raise ScanError("it is a joblib file from before joblib 0.10, whose arrays live in other files (re-save it)")
        if kind is None:
            yield _Bounded(raw, os.fstat(raw.fileno()).st_size, "the file holds"), None
            return
        opened: Any = {
            "gzip": lambda: gzip.GzipFile(fileobj=raw, mode="rb"),
            "bz2": lambda: bz2.BZ2File(raw, "rb"),
            "xz": lambda: lzma.LZMAFile(raw, "rb"),
            "lzma": lambda: lzma.LZMAFile(raw, "rb"),
            "zlib": lambda: io.BufferedReader(_ZlibReader(raw)),
        }[kind]()
        with opened:
            yield _Bounded(opened, MAX_UNPACKED, f"its {kind} stream may expand to ({MAX_UNPACKED // 1024**3} GiB)"), kind


def _skip(stream: _Bounded, n: int) -> None:
    while n > 0:
        got = len(stream.read(min(n, 1 << 20)))
        if got == 0:
            raise ScanError("an array's bytes end before the size its header gives")
        n -= got


# ---------------------------------------------------------------- the symbolic pickle machine


class _Mark:
    pass


@dataclass(eq=False)
class _Global:
    name: str


@dataclass(eq=False)
class _Built:
    """An object the pickle would build: by which callable, from which arguments, with which state."""

    by: Any
    args: Any
    state: Any = None

    @property
    def cls(self) -> str | None:
        """The global this object is an instance of (through ``copyreg._reconstructor`` too)."""
        if isinstance(self.by, _Global):
            if self.by.name == "copyreg._reconstructor" and isinstance(self.args, tuple) and self.args:
                first = self.args[0]
                return first.name if isinstance(first, _Global) else None
            return self.by.name
        return None


_LITERALS = {
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "FLOAT", "BINFLOAT",
    "STRING", "BINSTRING", "SHORT_BINSTRING", "UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8",
}
_BYTES = {"BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8"}
_DTYPE_CODE = re.compile(r"^[<>|=]?[A-Za-z?]\d*(\[\w+\])?$")


def _key(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return object()
    return value


def _scan_stream(stream: _Bounded, found: dict[str, None], inline_arrays: bool) -> int:
    """Scan one pickle from ``stream`` up to its STOP; returns how many inline arrays it skipped."""
    stack: list[Any] = []
    marks: list[list[Any]] = []
    memo: dict[int, Any] = {}
    arrays = 0

    def pop_mark() -> list[Any]:
        nonlocal stack
        items = stack
        if not marks:
            raise ScanError("a MARK is missing")
        stack = marks.pop()
        return items

    def pop() -> Any:
        if not stack:
            raise ScanError("the pickle's stack is empty where a value is needed")
        return stack.pop()

    def call(by: Any, args: Any) -> _Built:
        if not isinstance(by, _Global):
            found[CALL_OF_BUILT] = None
        return _Built(by, args)

    for opcode, arg, _pos in pickletools.genops(stream):
        op = opcode.name
        if op in ("PROTO", "FRAME"):
            continue
        if op == "STOP":
            return arrays
        if op in _LITERALS:
            stack.append(arg)
        elif op in _BYTES:
            stack.append(b"")  # the bytes themselves are never needed
        elif op == "NONE":
            stack.append(None)
        elif op in ("NEWTRUE", "NEWFALSE"):
            stack.append(op == "NEWTRUE")
        elif op == "EMPTY_TUPLE":
            stack.append(())
        elif op in ("EMPTY_LIST", "EMPTY_SET"):
            stack.append([])
        elif op == "EMPTY_DICT":
            stack.append({})
        elif op == "MARK":
            marks.append(stack)
            stack = []
        elif op in ("TUPLE", "LIST", "FROZENSET"):
            items = pop_mark()
            stack.append(tuple(items) if op == "TUPLE" else list(items))
        elif op in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(op[-1])
            if len(stack) < n:
                raise ScanError("the pickle's stack is too short for a tuple")
            items = tuple(stack[-n:])
            del stack[-n:]
            stack.append(items)
        elif op == "DICT":
            items = pop_mark()
            stack.append({_key(k): v for k, v in zip(items[::2], items[1::2])})
        elif op == "APPEND":
            value = pop()
            if stack and isinstance(stack[-1], list):
                stack[-1].append(value)
        elif op in ("APPENDS", "ADDITEMS"):
            items = pop_mark()
            if stack and isinstance(stack[-1], list):
                stack[-1].extend(items)
        elif op == "SETITEM":
            value, key = pop(), pop()
            if stack and isinstance(stack[-1], dict):
                stack[-1][_key(key)] = value
        elif op == "SETITEMS":
            items = pop_mark()
            if stack and isinstance(stack[-1], dict):
                stack[-1].update({_key(k): v for k, v in zip(items[::2], items[1::2])})
        elif op == "POP":
            if stack:
                stack.pop()
            else:
                pop_mark()
        elif op == "POP_MARK":
            pop_mark()
        elif op == "DUP":
            stack.append(stack[-1] if stack else None)
        elif op in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[int(arg)] = stack[-1] if stack else None
        elif op == "MEMOIZE":
            memo[len(memo)] = stack[-1] if stack else None
        elif op in ("GET", "BINGET", "LONG_BINGET"):
            if int(arg) not in memo:
                raise ScanError(f"it reads memo entry {arg}, which was never stored")
            stack.append(memo[int(arg)])
        elif op in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            name = _global(module, attr)
            found[name] = None
            if op == "GLOBAL":
                stack.append(_Global(name))
            else:
                stack.append(_Built(_Global(name), tuple(pop_mark())))
        elif op == "STACK_GLOBAL":
            attr, module = pop(), pop()
            name = _global(module, attr) if isinstance(module, str) and isinstance(attr, str) else UNREADABLE
            found[name] = None
            stack.append(_Global(name))
        elif op == "OBJ":
            items = pop_mark()
            if not items:
                raise ScanError("OBJ without a class")
            stack.append(call(items[0], tuple(items[1:])))
        elif op in ("REDUCE", "NEWOBJ"):
            args = pop()
            stack.append(call(pop(), args))
        elif op == "NEWOBJ_EX":
            _kwargs, args = pop(), pop()
            stack.append(call(pop(), args))
        elif op == "BUILD":
            state = pop()
            target = stack[-1] if stack else None
            if isinstance(target, _Built):
                target.state = state
                if target.cls == WRAPPER:
                    if not inline_arrays:
                        raise ScanError("an array header inside an array of objects")
                    _skip_array(target.state, stream, found)
                    arrays += 1
        elif op in ("EXT1", "EXT2", "EXT4"):
            found[f"copyreg extension {arg}"] = None
            stack.append(_Global(f"copyreg extension {arg}"))
        elif op in ("PERSID", "BINPERSID"):
            raise ScanError("it refers to persistent ids, objects stored outside the pickle")
        elif op in ("NEXT_BUFFER", "READONLY_BUFFER"):
            raise ScanError("it refers to out-of-band buffers, data stored outside the pickle")
        else:  # pragma: no cover - every opcode of protocols 0 to 5 is handled above
            raise ScanError(f"unknown opcode {op}")
    raise ScanError("the pickle ends before its STOP opcode")


def _dtype(value: Any, depth: int = 0) -> tuple[int, bool]:
    """(item size in bytes, whether it holds Python objects) of a pickled ``numpy.dtype``, from its literals only."""
    if depth > 16 or not isinstance(value, _Built) or value.cls != "numpy.dtype":
        raise ScanError("an array header whose dtype the scan cannot read")
    args, state = value.args, value.state
    code = args[0] if isinstance(args, tuple) and args and isinstance(args[0], str) else None
    if code is None or not _DTYPE_CODE.match(code):
        raise ScanError("an array header whose dtype the scan cannot read")
    state = state if isinstance(state, tuple) else ()
    elsize = state[5] if len(state) > 5 and isinstance(state[5], int) else -1
    subarray = state[2] if len(state) > 2 else None
    fields = state[4] if len(state) > 4 else None
    has_object = code.lstrip("<>|=").startswith("O")
    if isinstance(subarray, tuple) and subarray:
        has_object |= _dtype(subarray[0], depth + 1)[1]
    if isinstance(fields, dict):
        for field in fields.values():
            if not isinstance(field, tuple) or not field:
                raise ScanError("an array header whose dtype the scan cannot read")
            has_object |= _dtype(field[0], depth + 1)[1]
    if elsize > 0:
        return elsize, has_object
    import numpy as np

    return np.dtype(code).itemsize, has_object  # a validated type code such as '<f8': nothing is imported or run


def _skip_array(state: Any, stream: _Bounded, found: dict[str, None]) -> None:
    """Skip the bytes joblib wrote after an array header (or scan the nested pickle of an object array)."""
    if not isinstance(state, dict):
        raise ScanError("an array header without a readable state")
    itemsize, has_object = _dtype(state.get("dtype"))
    shape = state.get("shape")
    if not isinstance(shape, tuple) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ScanError("an array header whose shape is not a tuple of sizes")
    if has_object:
        _scan_stream(stream, found, inline_arrays=False)
        return
    if state.get("numpy_array_alignment_bytes") is not None:
        padding = stream.read(1)
        if len(padding) != 1:
            raise ScanError("an array's padding ends early")
        _skip(stream, padding[0])
    size = math.prod(shape) * itemsize
    if size > stream.left:
        raise ScanError(f"an array header gives {size} bytes, more than the file holds")
    _skip(stream, size)


def scan_file(path: Path) -> Scan:
    """Every ``module.name`` a pickle or joblib file imports, read from its opcodes alone.

    The content decides, not the suffix (``joblib.dump(model, "model.pkl")`` is common). Raises
    ScanError on a file that is damaged, truncated, has bytes after its pickle, or uses a layout
    that stores data outside the file.
    """
    found: dict[str, None] = {}
    try:
        with open_model(Path(path)) as (stream, compression):
            arrays = _scan_stream(stream, found, inline_arrays=True)
            if stream.left > 0 and stream.read(1):
                raise ScanError("it has bytes after the end of its pickle")
    except ScanError:
        raise
    except (ValueError, EOFError, OSError, lzma.LZMAError, zlib.error, IndexError, KeyError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ScanError(first) from exc
    return Scan(tuple(found), compression, arrays)


# ---------------------------------------------------------------- loading, after the scan and the trust flag


def resolve(module: str, name: str, trusted: set[str]) -> Any:
    """The global a pickle asks for, if the policy allows it; raises pickle.UnpicklingError if not.

    An allowed or trusted name is looked up as exactly ``getattr(import_module(module), name)``;
    a dotted ``name`` (an attribute of an attribute) is walked only when the user named it whole.
    """
    module, name = python3_name(module, name)
    full = f"{module}.{name}"
    if full == WRAPPER:
        return _ArrayHeader
    if is_denied(full) or (full not in ALLOWED_GLOBALS and full not in trusted):
        raise pickle.UnpicklingError(f"{full} is not allowed")
    if "." in name and full not in trusted:
        raise pickle.UnpicklingError(f"{full} is an attribute of an attribute, which is not looked up")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


class _ArrayHeader:
    """Stands in for joblib's ``NumpyArrayWrapper``: holds the header; the loader reads the bytes."""


class _Loader(pickle._Unpickler):  # type: ignore[name-defined]
    """The pure-Python unpickler, with the policy's ``find_class`` and joblib's inline arrays read here."""

    dispatch = dict(pickle._Unpickler.dispatch)  # type: ignore[attr-defined]

    def __init__(self, stream: _Bounded, trusted: set[str], inline_arrays: bool = True) -> None:
        super().__init__(stream)
        self._stream, self._trusted, self._inline = stream, trusted, inline_arrays

    def find_class(self, module: str, name: str) -> Any:
        return resolve(module, name, self._trusted)

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not supported")

    def load_build(self) -> None:
        pickle._Unpickler.load_build(self)  # type: ignore[attr-defined]
        if isinstance(self.stack[-1], _ArrayHeader):
            if not self._inline:
                raise pickle.UnpicklingError("an array header inside an array of objects")
            self.stack[-1] = self._read_array(vars(self.stack[-1]))

    dispatch[pickle.BUILD[0]] = load_build

    def _read_array(self, state: dict[str, Any]) -> Any:
        import numpy as np

        dtype, shape, order = state.get("dtype"), tuple(state.get("shape", ())), state.get("order", "C")
        if not isinstance(dtype, np.dtype):
            raise pickle.UnpicklingError("an array header without a dtype")
        if dtype.hasobject:
            array = _Loader(self._stream, self._trusted, inline_arrays=False).load()
            if not isinstance(array, np.ndarray):
                raise pickle.UnpicklingError("an array of objects that is not an array")
            return array
        if state.get("numpy_array_alignment_bytes") is not None:
            self._stream.read(self._stream.read(1)[0])
        count = math.prod(shape)
        data = self._stream.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise pickle.UnpicklingError("an array's bytes end early")
        array = np.frombuffer(data, dtype=dtype, count=count).copy()
        array = array.reshape(shape[::-1]).transpose() if order == "F" else array.reshape(shape)
        if dtype.byteorder not in ("=", "|") and dtype.byteorder != ("<" if np.little_endian else ">"):
            array = array.byteswap().view(array.dtype.newbyteorder("="))
        return array


def load_file(path: Path, trusted: Iterable[str]) -> Any:
    """Unpickle a pickle or joblib file whose scan was cleared: every global goes through :func:`resolve`."""
    with open_model(Path(path)) as (stream, _):
        return _Loader(stream, set(trusted)).load()
