"""What the benchmark scripts share: a synthetic billing repo and best-of-N timing."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import make_focus

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def make_repo(root: Path, rows: int, periods: Sequence[str] = ("2026-10",), *, pis: int = 300,
              projects: int = 800, report: bool = True) -> None:
    """A billing repo in ``root``: the demo repo's ``data/config.yaml`` and, for each period,
    ``periods/YYYY-MM/aws.csv`` from ``make_focus`` (``rows`` rows, seeds 1, 2, ... in turn,
    0.1 % anomalies). With ``report`` each file's summary line goes to stderr, as
    ``make_focus.py`` prints it.
    """
    (root / "data").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "data" / "config.yaml", root / "data" / "config.yaml")
    for i, period in enumerate(periods):
        csv = root / "periods" / period / "aws.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        if report:
            make_focus.main([str(csv), "--rows", str(rows), "--pis", str(pis), "--projects",
                             str(projects), "--period", period, "--seed", str(1 + i),
                             "--anomalies", "0.001"])
        else:
            make_focus.generate(csv, rows, pis, projects, period, seed=1 + i, anomalies=0.001)


def best(repeat: int, work: Callable[[], object]) -> float:
    """The shortest wall time, in seconds, of ``repeat`` runs of ``work``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)
