"""Pickle and joblib files: list what they import before anything runs, then load under a policy.

A pickle names every callable it will use as a *global* (``module.name``): the ``GLOBAL`` and
``INST`` opcodes carry the name, ``STACK_GLOBAL`` takes it from the two strings pushed before
it. :func:`scan_pickle` reads the opcodes with :func:`pickletools.genops` (nothing is executed,
as picklescan does) and returns those names. A joblib file interleaves raw numpy array bytes
with pickle opcodes, so :func:`scan_joblib` walks it with joblib's own unpickler in which every
global is replaced by an inert stand-in, except a handful of constructors joblib needs to find
where each array's bytes end.

:func:`verdict` sorts the names into allowed and refused. Loading then goes through an unpickler
whose ``find_class`` enforces the same policy (the standard library's "restricting globals"), so
a file the scan misread still cannot reach a name outside the allow-list.
"""

from __future__ import annotations

import _compat_pickle
import importlib
import pickle
import pickletools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# Globals that ordinary scikit-learn / numpy / scipy pickles use and that cannot run arbitrary code.
SAFE_GLOBALS = frozenset(
    {
        *(f"builtins.{name}" for name in (
            "bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset", "int", "list",
            "object", "range", "set", "slice", "str", "tuple", "type", "NoneType", "Ellipsis",
        )),
        "copyreg._reconstructor",
        "copyreg.__newobj__",
        "copyreg.__newobj_ex__",
        "_codecs.encode",
        "collections.OrderedDict",
        "collections.defaultdict",
        "collections.deque",
        "collections.Counter",
        "datetime.date",
        "datetime.datetime",
        "datetime.timedelta",
        "datetime.timezone",
        "decimal.Decimal",
        "fractions.Fraction",
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray._reconstruct",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "numpy.ma.core._mareconstruct",
        "numpy.random._pickle.__randomstate_ctor",
        "numpy.random._pickle.__bit_generator_ctor",
        "numpy.random._pickle.__generator_ctor",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle.NDArrayWrapper",
    }
)

# Packages whose *classes* are allowed: instantiating a class through the pickle protocol runs
# only its __new__/__setstate__. Their functions are not allowed (sklearn.datasets writes files,
# numpy.load reads other pickles): a function must be named with --trust-type.
CLASS_PACKAGES = ("sklearn.", "numpy.", "scipy.sparse.", "xgboost.", "lightgbm.")

# Classes of those packages whose construction touches files or the network.
DANGEROUS_CLASSES = frozenset(
    {
        "numpy.memmap",
        "numpy.core.memmap.memmap",
        "numpy._core.memmap.memmap",
        "numpy.DataSource",
        "numpy.lib.npyio.DataSource",
        "numpy.lib._datasource.DataSource",
        "numpy.lib._datasource.Repository",
    }
)

# Never importable, whatever the package: modules that run code on import or exist to run code.
NEVER = ("__main__", "testing", "tests", "_testing", "f2py", "distutils")


class ScanError(Exception):
    """The file is not a pickle that can be read to its end."""


@dataclass(frozen=True)
class Verdict:
    """What a scan found, sorted by the policy: ``refused`` is empty when the file may load."""

    imports: tuple[str, ...]
    refused: tuple[str, ...]


def _memo_string(memo: dict[int, Any], arg: Any) -> Any:
    return memo.get(arg)


def python3_name(module: str, name: str) -> tuple[str, str]:
    """A Python 2 name (``__builtin__.set``, ``copy_reg._reconstructor``) as Python 3 loads it."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _global(module: str, name: str) -> str:
    module, name = python3_name(module, name)
    return f"{module}.{name}"


def scan_pickle(stream: IO[bytes]) -> list[str]:
    """Every ``module.name`` one pickle stream imports, in order of first appearance.

    Strings are tracked through the memo so a ``STACK_GLOBAL`` whose module and name were
    memoised earlier (``BINGET``) is still resolved; a ``STACK_GLOBAL`` whose operands cannot be
    resolved is reported as ``?.?`` and refused by the policy. Raises ScanError on a damaged file.
    """
    found: dict[str, None] = {}
    memo: dict[int, Any] = {}
    recent: list[Any] = []  # values pushed by recent opcodes: strings, or None for anything else
    try:
        for opcode, arg, _pos in pickletools.genops(stream):
            name = opcode.name
            if name in ("GLOBAL", "INST"):
                module, _, attr = str(arg).partition(" ")
                found[_global(module, attr)] = None
                recent.append(None)
            elif name == "STACK_GLOBAL":
                module, attr = (recent[-2], recent[-1]) if len(recent) >= 2 else (None, None)
                if isinstance(module, str) and isinstance(attr, str):
                    found[_global(module, attr)] = None
                else:
                    found["?.?"] = None
                recent.append(None)
            elif name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "STRING",
                          "BINSTRING", "SHORT_BINSTRING"):
                recent.append(str(arg))
            elif name == "MEMOIZE":
                memo[len(memo)] = recent[-1] if recent else None
            elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
                memo[int(arg)] = recent[-1] if recent else None
            elif name in ("GET", "BINGET", "LONG_BINGET"):
                recent.append(_memo_string(memo, int(arg)))
            elif name in ("EXT1", "EXT2", "EXT4"):
                found[f"copyreg extension {arg}"] = None  # a registry the file cannot be checked against
                recent.append(None)
            elif name in ("FRAME", "PROTO", "STOP"):
                continue
            else:
                recent.append(None)
            del recent[:-4]
    except Exception as exc:  # genops raises ValueError for a damaged or truncated stream
        raise ScanError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from exc
    return list(found)


def _allowed_by_rule(name: str) -> bool:
    if name in SAFE_GLOBALS:
        return True
    parts = name.split(".")
    if name in DANGEROUS_CLASSES or any(part in NEVER for part in parts):
        return False
    return name.startswith(CLASS_PACKAGES)


def verdict(imports: Iterable[str], trusted: Iterable[str]) -> Verdict:
    """Sort scanned names: allowed by the policy, named by the user, or refused."""
    imports = tuple(imports)
    named = set(trusted)
    refused = tuple(n for n in imports if n not in named and not _allowed_by_rule(n))
    return Verdict(imports, refused)


def resolve(module: str, name: str, trusted: set[str]) -> Any:
    """The global a pickle asks for, if the policy allows it; raises pickle.UnpicklingError if not.

    A name the user trusted is returned as is. Otherwise a name in the safe list is returned, and a
    name from an allowed package only when it is a class.
    """
    module, name = python3_name(module, name)
    full = f"{module}.{name}"
    if full not in trusted and not _allowed_by_rule(full):
        raise pickle.UnpicklingError(f"{full} is not allowed")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    if full in trusted or full in SAFE_GLOBALS or isinstance(obj, type):
        return obj
    raise pickle.UnpicklingError(f"{full} is a function, not a class; only classes are allowed from {module}")


class RestrictedUnpickler(pickle.Unpickler):
    """A standard-library unpickler that resolves globals through :func:`resolve`."""

    def __init__(self, file: IO[bytes], trusted: set[str]) -> None:
        super().__init__(file)
        self._trusted = trusted

    def find_class(self, module: str, name: str) -> Any:
        return resolve(module, name, self._trusted)


def load_pickle(path: Path, trusted: set[str]) -> Any:
    with open(path, "rb") as handle:
        return RestrictedUnpickler(handle, trusted).load()


# ---------------------------------------------------------------- joblib


class _Inert:
    """Stands in for every global during a joblib scan: absorbs construction, state and calls."""

    def __new__(cls, *args: Any, **kwargs: Any) -> _Inert:
        return object.__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _Inert:
        return _Inert()

    def __setstate__(self, state: Any) -> None:
        pass

    def __reduce__(self) -> Any:  # pragma: no cover - never pickled
        raise TypeError("inert")


# What a joblib scan lets through for real: just enough to size the raw array blocks.
_SCAN_REAL = frozenset(
    {
        "numpy.dtype",
        "numpy.ndarray",
        "numpy.core.multiarray._reconstruct",
        "numpy._core.multiarray._reconstruct",
        "numpy.core.multiarray.scalar",
        "numpy._core.multiarray.scalar",
        "numpy.core.numeric._frombuffer",
        "numpy._core.numeric._frombuffer",
        "joblib.numpy_pickle.NumpyArrayWrapper",
        "joblib.numpy_pickle.NDArrayWrapper",
        "copyreg._reconstructor",
        "copyreg.__newobj__",
        "_codecs.encode",
        *(f"builtins.{n}" for n in ("bool", "bytearray", "bytes", "complex", "dict", "float",
                                    "frozenset", "int", "list", "object", "set", "slice", "str", "tuple")),
    }
)


def _joblib_unpickler(mode: str, trusted: set[str], found: dict[str, None]):
    from joblib.numpy_pickle import NumpyUnpickler

    class ScanningUnpickler(NumpyUnpickler):
        def find_class(self, module: str, name: str) -> Any:
            full = _global(module, name)
            found[full] = None
            if mode == "scan":
                if full in _SCAN_REAL:
                    return super().find_class(module, name)
                return _Inert
            return resolve(module, name, trusted)

    return ScanningUnpickler


def _joblib_run(path: Path, mode: str, trusted: set[str], found: dict[str, None]) -> Any:
    import joblib.numpy_pickle as jnp

    unpickler_class = _joblib_unpickler(mode, trusted, found)
    with open(path, "rb") as handle, jnp._validate_fileobject_and_memmap(handle, str(path), None) as (fobj, _):
        if isinstance(fobj, str):  # a file from joblib < 0.10 (several files): not supported
            raise ScanError("a joblib file from before joblib 0.10")
        unpickler = unpickler_class(str(path), fobj, ensure_native_byte_order=True, mmap_mode=None)
        return unpickler.load()


def scan_joblib(path: Path) -> list[str]:
    """Every ``module.name`` a joblib file imports (nested object-array pickles included)."""
    found: dict[str, None] = {}
    try:
        _joblib_run(path, "scan", set(), found)
    except ScanError:
        raise
    except Exception as exc:
        raise ScanError(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__) from exc
    return list(found)


def load_joblib(path: Path, trusted: set[str]) -> Any:
    return _joblib_run(path, "load", trusted, {})


def scan_file(path: Path) -> tuple[list[str], bool]:
    """Scan a pickle or joblib file: its imports, and whether it needs joblib to load.

    The content decides, not the suffix (``joblib.dump(model, "model.pkl")`` is common): a file
    that reads as one complete pickle is scanned statically; one that is compressed, or has raw
    array bytes inside or after its opcodes, is a joblib container.
    """
    try:
        with open(path, "rb") as handle:
            imports = scan_pickle(handle)
            trailing = bool(handle.read(1))
    except ScanError as exc:
        plain_error: ScanError | None = exc
    else:
        if not trailing:
            return imports, False
        plain_error = None
    try:
        return scan_joblib(path), True
    except ScanError:
        if plain_error is not None:
            raise plain_error from None
        raise
