"""Where an ingest run spends its time: wall-clock and CPU seconds per stage (`--timings`).

CPU time counts every thread of the process (ONNX runs on several), so on a shared machine
it says what a stage costs when wall-clock says mostly how busy the neighbours were.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# In pipeline order; a stage never entered is shown as 0.
STAGES = (
    "read (parse, clean)",
    "injection screen",
    "plan (store read)",
    "chunk",
    "embed",
    "moderation screen",
    "chroma writes",
    "records",
)


class StageTimes:
    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._active: str | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Adds the block's time to `name`; a stage nested in another is not counted twice."""
        if self._active is not None:
            yield
            return
        self._active = name
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - wall
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu
            self._active = None

    def lines(self, total_wall: float | None = None) -> list[str]:
        names = [*STAGES, *(n for n in self.wall if n not in STAGES)]
        out = [f"  {'stage':22} {'wall s':>8} {'cpu s':>8}"]
        out += [f"  {n:22} {self.wall.get(n, 0.0):8.2f} {self.cpu.get(n, 0.0):8.2f}" for n in names]
        if total_wall is not None:
            rest = total_wall - sum(self.wall.values())
            out.append(f"  {'other (startup, ...)':22} {rest:8.2f}")
        return out
