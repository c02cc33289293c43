"""Choose the array backend at run time: CuPy when a CUDA GPU is really usable, else NumPy."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from ..errors import AnalysisError, require_name

BACKENDS = ("numpy", "cupy")


@dataclass
class Backend:
    name: str  # "numpy" or "cupy"
    xp: ModuleType  # the array module
    note: str | None = None  # why this backend was chosen when it was not the one asked for

    @property
    def is_gpu(self) -> bool:
        """True for the cupy backend (a CUDA GPU), False for numpy (the CPU)."""
        return self.name == "cupy"

    def synchronize(self) -> None:
        """Wait until the device has finished all queued work (a no-op on the CPU)."""
        if self.is_gpu:
            self.xp.cuda.Device().synchronize()

    def asnumpy(self, array) -> np.ndarray:
        """``array`` as a NumPy array on the host (copied from the GPU for cupy) [its unit]."""
        return self.xp.asnumpy(array) if self.is_gpu else np.asarray(array)

    def device_info(self) -> dict:
        """The device's description: ``gpu_info`` or ``cpu_info`` (names, sizes [bytes])."""
        return gpu_info(self.xp) if self.is_gpu else cpu_info()

    def free_memory_bytes(self) -> int:
        """Device memory free now [bytes]: the GPU's, or the CPU's MemAvailable."""
        if self.is_gpu:
            free, _total = self.xp.cuda.runtime.memGetInfo()
            return int(free)
        return cpu_available_memory_bytes()

    def last_level_cache_bytes(self) -> int:
        """Size of the last-level cache [bytes]: the GPU's L2, or the CPU's largest cache."""
        if self.is_gpu:
            props = self.xp.cuda.runtime.getDeviceProperties(self.xp.cuda.Device().id)
            return int(props.get("l2CacheSize", 0))
        return int(cpu_info()["last_level_cache_bytes"])


class BackendUnavailableError(AnalysisError, RuntimeError):
    """The requested array backend cannot run here; the message carries the driver's own error."""


_NOT_AVAILABLE = "cupy.cuda.is_available() is False"
_cuda_reason = _NOT_AVAILABLE  # why the last cuda_available() said no


def cuda_status() -> tuple[bool, str]:
    """(usable, reason): CuPy imports, ``is_available()`` is True *and* a device query works.

    ``is_available()`` can be True while the first real query fails (a driver/runtime mismatch,
    a device taken by another process); the reason then quotes that error.
    """
    try:
        import cupy
    except Exception as err:  # ImportError, or a broken install raising on import
        return False, f"cupy does not import: {type(err).__name__}: {err}"
    try:
        if not cupy.cuda.is_available():
            return False, _NOT_AVAILABLE
    except Exception as err:  # the driver error itself: show it, do not hide it
        return False, f"cupy.cuda.is_available() raised {type(err).__name__}: {err}"
    try:
        cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
        cupy.cuda.runtime.memGetInfo()
    except Exception as err:
        return False, f"a CUDA device query failed: {type(err).__name__}: {err}"
    return True, "CUDA device usable"


def cuda_available() -> bool:
    """True only when CuPy imports *and* a CUDA device is usable (import alone proves nothing)."""
    global _cuda_reason
    ok, _cuda_reason = cuda_status()
    return ok


def get_backend(name: str | None = None) -> Backend:
    """``name`` None picks cupy when a GPU is usable, numpy otherwise (``note`` says why).

    ``name="cupy"`` on a machine without a usable GPU raises :class:`BackendUnavailableError`
    quoting the driver's error; an unknown name raises :class:`UnknownNameError`.
    """
    if name is None:
        if cuda_available():
            import cupy

            return Backend("cupy", cupy)
        return Backend("numpy", np, note=f"using numpy: {_cuda_reason}")
    require_name("name", name, BACKENDS, kind="backend")
    if name == "cupy":
        if not cuda_available():
            raise BackendUnavailableError(
                f"backend 'cupy' requested but no usable CUDA GPU ({_cuda_reason})"
            )
        import cupy

        return Backend("cupy", cupy)
    return Backend("numpy", np)


def cpu_available_memory_bytes() -> int:
    """MemAvailable from /proc/meminfo [bytes] (free + reclaimable page cache); strictly free
    pages elsewhere."""
    for line in (_read("/proc/meminfo") or "").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    except OSError:
        return None


def _cache_bytes(text: str) -> int:
    units = {"K": 1024, "M": 1024**2, "G": 1024**3}
    text = text.strip()
    return int(text[:-1]) * units[text[-1]] if text and text[-1] in units else int(text or 0)


def cpu_info() -> dict:
    """CPU model, core count and cache sizes from /proc and /sys (Linux); best effort elsewhere."""
    model = platform.processor() or platform.machine()
    cpuinfo = _read("/proc/cpuinfo") or ""
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    caches = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    for i in range(8):
        level, kind, size = (_read(f"{base}/index{i}/{f}") for f in ("level", "type", "size"))
        if level and size:
            suffix = "" if kind in (None, "Unified") else kind[0].lower()
            caches[f"L{level}{suffix}"] = _cache_bytes(size)
    llc = max(caches.values()) if caches else 32 * 1024**2
    return {
        "kind": "cpu",
        "name": model,
        "logical_cores": os.cpu_count(),
        "caches_bytes": caches,
        "last_level_cache_bytes": llc,
        "memory_bytes": int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")),
        "platform": platform.platform(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
    }


def gpu_info(cp) -> dict:
    """The current CUDA device through ``cp`` (the cupy module): name, compute capability,
    memory and L2 sizes [bytes], SM count, driver and runtime versions."""
    dev = cp.cuda.Device()
    props = cp.cuda.runtime.getDeviceProperties(dev.id)
    name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    return {
        "kind": "gpu",
        "name": name,
        "compute_capability": dev.compute_capability,
        "memory_bytes": int(props["totalGlobalMem"]),
        "l2_cache_bytes": int(props.get("l2CacheSize", 0)),
        "sm_count": int(props["multiProcessorCount"]),
        "driver_version": cp.cuda.runtime.driverGetVersion(),
        "runtime_version": cp.cuda.runtime.runtimeGetVersion(),
    }
