"""Reading power and energy: NVML on NVIDIA GPUs, RAPL counters on Linux CPUs.

NVML comes from the ``nvidia-ml-py`` package (module ``pynvml``), imported only when asked for,
so this module imports on machines without it. NVML reports board power in milliwatts and, on
Volta and newer, a total-energy counter in millijoules; RAPL exposes cumulative microjoule
counters per package under ``/sys/class/powercap`` that wrap at ``max_energy_range_uj``.
Nothing here estimates a value it cannot read: readers say why they are unavailable instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import (
    InvalidValueError,
    require_count,
    require_finite_result,
    require_nonnegative,
)

POWERCAP_ROOT = Path("/sys/class/powercap")


# ---- integration ----------------------------------------------------------------------------------
def trapezoid_energy_j(times_s, power_w) -> float:
    """Energy [J] under a sampled power trace by the trapezoid rule.

    ``times_s`` [s], strictly increasing, and ``power_w`` [W], each >= 0, are equal-length
    sequences of at least two samples.
    """
    t, p = [float(x) for x in times_s], [float(x) for x in power_w]
    if len(t) != len(p):
        raise InvalidValueError(
            "power_w", f"{len(p)} samples", f"equal lengths: as many samples as times_s ({len(t)})"
        )
    if len(t) < 2:
        raise InvalidValueError("times_s", f"{len(t)} samples", "at least two samples to integrate")
    if any(b <= a for a, b in zip(t, t[1:], strict=False)):
        raise InvalidValueError("times_s", times_s, "strictly increasing times [s]")
    if any(x < 0 or x != x for x in p):
        raise InvalidValueError("power_w", power_w, "powers >= 0 [W], not NaN")
    return sum((t[i + 1] - t[i]) * (p[i] + p[i + 1]) / 2 for i in range(len(t) - 1))


def energy_above_idle_j(busy_w: float, idle_w: float, duration_s: float) -> float:
    """(busy - idle) x duration [J]: the energy the work added over an idle baseline.

    ``busy_w``, ``idle_w`` [W] and ``duration_s`` [s] are finite numbers >= 0 (a result below
    zero means the "busy" reading was under the idle one: noise, reported as measured).
    """
    for name, v in (("busy_w", busy_w), ("idle_w", idle_w), ("duration_s", duration_s)):
        require_nonnegative(name, v)
    energy = (busy_w - idle_w) * duration_s
    return require_finite_result(energy, "busy_w, idle_w, duration_s", (busy_w, idle_w, duration_s))


@dataclass(frozen=True)
class PowerTrace:
    times_s: tuple[float, ...]  # seconds since the sampler started
    power_w: tuple[float, ...]

    @property
    def mean_w(self) -> float:
        """Time-weighted mean power over the trace [W]."""
        return self.energy_j / (self.times_s[-1] - self.times_s[0])

    @property
    def energy_j(self) -> float:
        """Energy under the trace [J] (trapezoid rule)."""
        return trapezoid_energy_j(self.times_s, self.power_w)

    def to_json(self) -> dict:
        """Summary for a results file: n_samples [count], mean_w, min_w, max_w [W]."""
        return {
            "n_samples": len(self.times_s),
            "mean_w": self.mean_w,
            "min_w": min(self.power_w),
            "max_w": max(self.power_w),
        }


class PowerSampler:
    """Samples ``read_w()`` every ``interval_s`` in a background thread between start() and stop()."""

    def __init__(self, read_w: Callable[[], float], interval_s: float = 0.02):
        if not interval_s > 0:
            raise InvalidValueError("interval_s", interval_s, "> 0 [s]")
        self.read_w, self.interval_s = read_w, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t: list[float] = []
        self._p: list[float] = []
        self._error: BaseException | None = None

    def _loop(self) -> None:
        t0 = time.perf_counter()
        try:
            while True:
                self._p.append(float(self.read_w()))
                self._t.append(time.perf_counter() - t0)
                if self._stop.wait(self.interval_s):
                    break
        except BaseException as err:  # surfaced by stop()
            self._error = err

    def start(self) -> PowerSampler:
        """Start sampling in a background thread; returns this sampler (a second start raises)."""
        if self._thread is not None:
            raise RuntimeError("sampler already started")
        self._thread = threading.Thread(target=self._loop, name="power-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> PowerTrace:
        """Stop sampling and return the trace (times [s] since start, power [W]); raises if a
        reading failed or fewer than two samples were taken."""
        if self._thread is None:
            raise RuntimeError("sampler was never started")
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"power reading failed: {self._error}") from self._error
        if len(self._t) < 2:
            raise RuntimeError("fewer than two power samples: run the work for longer")
        return PowerTrace(tuple(self._t), tuple(self._p))

    def __enter__(self) -> PowerSampler:
        return self.start()

    def __exit__(self, *exc) -> None:
        if self._thread is not None and not self._stop.is_set():
            self._stop.set()
            self._thread.join()


# ---- NVML (GPU) -----------------------------------------------------------------------------------
def nvml_status() -> tuple[bool, str]:
    """(True, driver version) if NVML can be initialised here, else (False, the reason)."""
    try:
        import pynvml
    except ImportError:
        return (
            False,
            "pynvml is not installed (pip install nvidia-ml-py; it is in requirements-gpu.txt)",
        )
    try:
        pynvml.nvmlInit()
    except Exception as err:  # pynvml.NVMLError: no driver, no device
        return False, f"NVML could not initialise: {err}"
    try:
        version = pynvml.nvmlSystemGetDriverVersion()
    finally:
        pynvml.nvmlShutdown()
    return True, version.decode() if isinstance(version, bytes) else str(version)


class NvmlDevice:
    """One GPU's power readings through NVML. Use as a context manager (init/shutdown)."""

    def __init__(self, index: int = 0):
        import pynvml

        self._nvml = pynvml
        pynvml.nvmlInit()
        self.handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        name = pynvml.nvmlDeviceGetName(self.handle)
        self.name = name.decode() if isinstance(name, bytes) else str(name)

    def power_w(self) -> float:
        """Board power now [W] (NVML reports mW; on recent GPUs an average over a short window)."""
        return self._nvml.nvmlDeviceGetPowerUsage(self.handle) / 1e3

    def energy_j(self) -> float | None:
        """Total board energy since the driver loaded [J] (from NVML's mJ counter), or None
        where unsupported."""
        try:
            return self._nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle) / 1e3
        except self._nvml.NVMLError:
            return None

    def power_limit_w(self) -> float | None:
        """The enforced board power limit [W] (NVML reports mW), or None where unsupported."""
        try:
            return self._nvml.nvmlDeviceGetEnforcedPowerLimit(self.handle) / 1e3
        except self._nvml.NVMLError:
            return None

    def close(self) -> None:
        """Shut NVML down (the context manager's exit does this)."""
        self._nvml.nvmlShutdown()

    def __enter__(self) -> NvmlDevice:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---- RAPL (CPU) -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RaplDomain:
    name: str  # e.g. "package-0"
    path: Path  # the zone folder holding energy_uj
    max_range_uj: int  # the counter wraps to 0 after this


def counter_delta_uj(start_uj: int, end_uj: int, max_range_uj: int) -> int:
    """Microjoules [uJ] between two readings of a counter that wraps after ``max_range_uj``.

    ``start_uj`` and ``end_uj`` [uJ] are the two readings, ``max_range_uj`` [uJ] the counter's
    range; all three are whole numbers and the readings lie in [0, ``max_range_uj``].
    """
    max_range_uj = require_count("max_range_uj", max_range_uj)
    for name, v in (("start_uj", start_uj), ("end_uj", end_uj)):
        if require_count(name, v, minimum=0) > max_range_uj:
            raise InvalidValueError(name, v, f"a reading in [0, {max_range_uj}]")
    start_uj, end_uj = int(start_uj), int(end_uj)
    return end_uj - start_uj if end_uj >= start_uj else max_range_uj - start_uj + end_uj + 1


def rapl_domains(root: Path = POWERCAP_ROOT) -> list[RaplDomain]:
    """Top-level RAPL package zones (``intel-rapl:N``) under ``root`` (the powercap folder)
    whose counters this process can read.

    Sub-zones (``intel-rapl:N:M``: cores, uncore, dram) are part of their package and are left
    out so that nothing is counted twice.
    """
    root = Path(root)
    found = []
    for zone in sorted(root.glob("intel-rapl:*")):
        if zone.name.count(":") != 1:
            continue
        try:
            name = (zone / "name").read_text().strip()
            (zone / "energy_uj").read_text()
            max_range = int((zone / "max_energy_range_uj").read_text())
        except (OSError, ValueError):
            continue
        found.append(RaplDomain(name, zone, max_range))
    return found


def rapl_status(root: Path = POWERCAP_ROOT) -> tuple[bool, str]:
    """(True, domain names) if RAPL package counters under ``root`` (the powercap folder) are
    readable, else (False, why not)."""
    root = Path(root)
    if not root.exists():
        return (
            False,
            f"{root} does not exist (no powercap driver, or not Linux / a container without it)",
        )
    zones = sorted(root.glob("intel-rapl:*"))
    if not zones:
        return False, f"{root} has no intel-rapl zones (no RAPL on this CPU or driver not loaded)"
    domains = rapl_domains(root)
    if not domains:
        return False, (
            f"{root} has RAPL zones but their energy_uj counters are not readable by this "
            "user (root-only since Linux 5.10)"
        )
    return True, ", ".join(d.name for d in domains)


class RaplMeter:
    """Energy over an interval, summed over the package domains: start(), then stop() -> J."""

    def __init__(self, root: Path = POWERCAP_ROOT):
        ok, why = rapl_status(root)
        if not ok:
            raise RuntimeError(f"RAPL energy counters unavailable: {why}")
        self.domains = rapl_domains(root)
        self._start: list[int] | None = None

    def _read(self) -> list[int]:
        return [int((d.path / "energy_uj").read_text()) for d in self.domains]

    def start(self) -> None:
        """Read every domain's counter [uJ]: the start of the interval that stop() measures."""
        self._start = self._read()

    def stop(self) -> float:
        """Energy since start() [J]; correct across one counter wrap per domain."""
        if self._start is None:
            raise RuntimeError("call start() first")
        end = self._read()
        total_uj = sum(
            counter_delta_uj(s, e, d.max_range_uj)
            for s, e, d in zip(self._start, end, self.domains, strict=True)
        )
        self._start = None
        return total_uj / 1e6

    def power_w(self, interval_s: float = 0.1) -> float:
        """Mean package power [W] over a short interval (blocks for ``interval_s`` [s])."""
        self.start()
        t0 = time.perf_counter()
        time.sleep(interval_s)
        joules = self.stop()
        return joules / (time.perf_counter() - t0)
