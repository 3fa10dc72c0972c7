"""The on-disk cache of generated numba modules: write, import, mark compiled, compile in parallel.

Every compiled form of a graph that lives across processes goes through here: the tier-1 kernels
(``numba_tier``), their native potentials (``native``), the tape machine (``tape``) and the
compiled NUTS core (``mcmc``). A generated module is a ``.py`` file in ``config.cache_dir/numba``
named by the SHA-1 of its text, so

* the same source keeps the same file and numba's disk cache (beside it, keyed by the file) stays
  valid across processes;
* a changed source (a new numba, a changed table, a changed ``native_abi``: callers put their
  versions in the text, see ``digest_of``) is a new file: invalidation is by content, nothing is
  ever overwritten in place.

numba compiles an entry point on its first call or explicit ``compile(signature)``. A *marker*
file (``marker``) records that a module's entry point was compiled into numba's cache at the
current ``NUMBA_CACHE_DIR``, so a later process knows that loading it is cheap.
``compile_in_processes`` compiles several missing entry points at once, one process each, and
waits: the first run on a fresh machine pays the longest compile, not their sum.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CompileJob",
    "cache_dir",
    "compile_in_processes",
    "digest_of",
    "ensure_compiled",
    "import_module",
    "is_compiled",
    "llvm_opt_level",
    "load_module",
    "mark_compiled",
    "write_module",
]


def cache_dir() -> str:
    """``config.cache_dir/numba``, created if missing."""
    from ..config import config

    path = os.path.join(os.path.expanduser(config.cache_dir), "numba")
    os.makedirs(path, exist_ok=True)
    return path


def digest_of(*paths: str) -> str:
    """A short digest of the text of source files (put it in a generated module's header when
    the module imports them: a change to them then yields a new module)."""
    h = hashlib.sha1()
    for p in paths:
        with open(p, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()[:16]


def write_module(stem: str, name_prefix: str, source: str) -> tuple[str, str]:
    """Write generated numba source to ``cache_dir/numba/{stem}_{sha1}.py`` (atomically, once:
    the same source keeps the same file, so numba's disk cache stays valid); returns the
    module name to import it under (``{name_prefix}_{sha1}``) and the path."""
    digest = hashlib.sha1(source.encode()).hexdigest()[:20]
    path = os.path.join(cache_dir(), f"{stem}_{digest}.py")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w") as fh:
            fh.write(source)
        os.replace(tmp, path)
    return f"{name_prefix}_{digest}", path


def load_module(name: str, path: str) -> Any:
    """Import the generated file ``path`` as module ``name``, registered in ``sys.modules``
    (numba's disk cache looks a function's module up by name). Always executes the file: a
    kernel with injected user globals needs a fresh module."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_IMPORT_LOCK = threading.RLock()  # chains in threads may ask for the same module at once


def import_module(name: str, path: str) -> Any:
    """The module ``name`` from ``path``, executed once per process (for modules with no
    injected state: the core, the tape machine, cacheable kernels and their potentials)."""
    with _IMPORT_LOCK:
        if name not in sys.modules:
            load_module(name, path)
        return sys.modules[name]


def marker(path: str, entry: str = "module") -> str:
    """The marker file saying that ``entry`` of the module at ``path`` is in numba's cache.
    numba's cache may live elsewhere (``NUMBA_CACHE_DIR``): the marker is per cache location."""
    where = hashlib.sha1(os.environ.get("NUMBA_CACHE_DIR", "").encode()).hexdigest()[:8]
    return f"{path}.{where}.{entry}.compiled"


def is_compiled(path: str, entry: str = "module") -> bool:
    """Whether ``entry`` of the module at ``path`` was compiled into numba's cache."""
    return os.path.exists(marker(path, entry))


def mark_compiled(path: str, entry: str = "module") -> None:
    """Record that ``entry`` of the module at ``path`` is in numba's cache."""
    open(marker(path, entry), "w").close()


@contextmanager
def llvm_opt_level(level: int) -> Iterator[None]:
    """Compile at LLVM ``-O{level}`` inside the block (numba's default is 3).

    numba reads ``numba.core.config.OPT`` each time it builds a pass manager, so the level is
    swapped while holding numba's global compiler lock: no other thread compiles (at the wrong
    level) meanwhile. A numba without that attribute compiles at its own level.
    """
    try:
        from numba.core import config as numba_config
        from numba.core.compiler_lock import global_compiler_lock
    except ImportError:  # pragma: no cover - a numba that moved them: its default level
        yield
        return
    with global_compiler_lock:
        saved = numba_config.OPT
        numba_config.OPT = type(saved)(level)
        try:
            yield
        finally:
            numba_config.OPT = saved


@dataclass(frozen=True)
class CompileJob:
    """One compile: import ``requires`` (module name, path) pairs, then the module, then compile
    each entry point with its explicit numba signature (``signatures``: name -> signature). With
    no signatures, importing the module is the compile (``cfunc``s compile on definition).

    ``entry`` names the marker (``marker(path, entry)``) written when the job succeeded.
    ``opt_level`` is the LLVM level of the whole job (``llvm_opt_level``; a kernel potential
    compiles its long kernel at the kernel's own level, ``tier1.LOW_OPT_LINES``).
    """

    name: str
    path: str
    entry: str = "module"
    signatures: dict = field(default_factory=dict)
    requires: tuple = ()
    opt_level: int = 3

    def done(self) -> bool:
        return is_compiled(self.path, self.entry)

    def run_here(self) -> Any:
        """Compile (or load from numba's cache) in this process; the module."""
        if self.opt_level == 3:
            return self._run_here()
        # _IMPORT_LOCK before numba's compiler lock, the order import_module takes them in
        with _IMPORT_LOCK, llvm_opt_level(self.opt_level):
            return self._run_here()

    def _run_here(self) -> Any:
        for name, path in self.requires:
            import_module(name, path)
        module = import_module(self.name, self.path)
        with _IMPORT_LOCK:
            loaded = module.__dict__.setdefault("_fx_loaded", set())
            for fname, sig in self.signatures.items():
                if fname not in loaded:
                    getattr(module, fname).compile(sig)
                    loaded.add(fname)
        if not self.done():
            mark_compiled(self.path, self.entry)
        return module

    def script(self) -> str:
        """The Python program that runs this job in a fresh interpreter."""
        return _CHILD.format(
            opt=(
                "" if self.opt_level == 3 else
                f"from numba.core import config\nconfig.OPT = type(config.OPT)({self.opt_level})\n"
            ),
            requires=self.requires,
            name=self.name,
            path=self.path,
            sigs=self.signatures,
            marker=marker(self.path, self.entry),
        )


_CHILD = """
{opt}import importlib.util, sys
def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod
for name, path in {requires!r}:
    load(name, path)
mod = load({name!r}, {path!r})
for fname, sig in {sigs!r}.items():
    getattr(mod, fname).compile(sig)
open({marker!r}, "w").close()
"""


def compile_in_processes(jobs: list[CompileJob], timeout: float | None = None) -> None:
    """Run the jobs not done yet, each in its own interpreter at once, and wait for them all.

    numba compiles in one thread: on a machine with several cores, the entry points a run needs
    (the NUTS core's pair, the tape machine or the model's potential) compile side by side.
    One job compiles in this process instead (no interpreter to start).

    Raises
    ------
    RuntimeError
        A job failed; the message holds the end of its error output.
    """
    todo = [job for job in jobs if not job.done()]
    if todo:
        # a first run on a machine waits here for tens of seconds: say why rather than look hung
        names = ", ".join(sorted({os.path.basename(job.path).split("_")[1] for job in todo}))
        print(
            f"fluxion: compiling {len(todo)} entry point(s) once for this machine ({names}); "
            "later runs load them from the cache (python -m fluxion precompile does it ahead)",
            file=sys.stderr,
            flush=True,
        )
    if len(todo) <= 1:
        for job in todo:
            job.run_here()
        return
    procs = [
        subprocess.Popen(  # noqa: S603 (our own interpreter and generated script)
            [sys.executable, "-c", job.script()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for job in todo
    ]
    failures = []
    for job, proc in zip(todo, procs):
        _, err = proc.communicate(timeout=timeout)
        if proc.returncode != 0:
            tail = err.decode(errors="replace").strip().splitlines()[-3:]
            failures.append(f"{os.path.basename(job.path)} ({job.entry}): {' / '.join(tail)}")
    if failures:
        raise RuntimeError("compile_in_processes: compiling failed for " + "; ".join(failures))


def ensure_compiled(jobs: list[CompileJob]) -> list[Any]:
    """Compile what is missing (in parallel, ``compile_in_processes``), then load every job's
    module here (from numba's cache); the modules, in the order of ``jobs``."""
    compile_in_processes(jobs)
    return [job.run_here() for job in jobs]
