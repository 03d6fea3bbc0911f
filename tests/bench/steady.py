"""CPUs that do not doze between a driver's hand-offs, for as long as the benchmarks run.

On these virtual machines an idle CPU halts (cpuidle's haltpoll) and takes tens of
microseconds to wake. A baseline that hands each statement to another thread or process and
waits for it (aiosqlite's thread, PostgreSQL's server process, the SMTP server) then times
those wake-ups, not the driver: raw one-row SQLite reads ran 1,650-1,960/s on an otherwise
idle machine and 10,100-11,300/s with idle CPUs polling; PostgreSQL's 4,250-5,300/s and
17,100-20,900/s. The service under load keeps its CPUs awake, so the ratios mixed the two.

The kernel's PM QoS interface, which latency benchmarks use, keeps idle CPUs polling while
/dev/cpu_dma_latency is held open with 0 written to it; closing it gives the machine back.
Where that is not allowed (not root), the run says so.
"""

from __future__ import annotations

import contextlib
import os
import struct
from collections.abc import Iterator

PM_QOS = "/dev/cpu_dma_latency"


@contextlib.contextmanager
def steady_cpus() -> Iterator[bool]:
    """True while idle CPUs poll; False (and a word on it) where the kernel would not."""
    try:
        held = os.open(PM_QOS, os.O_WRONLY)
        os.write(held, struct.pack("i", 0))  # microseconds of wake-up latency allowed
    except OSError as exc:
        print(
            f"[bench] idle CPUs may doze ({PM_QOS}: {exc.strerror}): baselines that wait on "
            "another thread or process then time wake-ups, up to six times slower, and the "
            "ratios are not comparable with runs that held it",
            flush=True,
        )
        yield False
        return
    try:
        print(f"[bench] idle CPUs poll while this runs ({PM_QOS} held at 0)", flush=True)
        yield True
    finally:
        os.close(held)
