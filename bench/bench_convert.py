"""Benchmark ``convert_slurm`` on a 1,000,000-line ``sacct`` dump.

    python bench/bench_convert.py [--lines N] [--repeat R] [--dump FILE]

Writes a seeded dump (accounts and partitions of the demo repository, a mix of CPU and GPU
jobs starting from three days before the month to its end, so some cross a month boundary
or fall outside it, array jobs, pending and cancelled jobs) to a temporary folder, then
times the ``convert slurm`` command's core (``convert_file``: config, rate table,
``convert_slurm``) on it for period 2026-10 with the repository's own ``data/`` (so the GPU
rate change and excluded accounts are exercised). Only the conversion is timed,
not writing the dump. Target: under 10 s for 1,000,000 lines.

The recorded figure is in bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.commands.convert import convert_file  # noqa: E402

ACCOUNTS = (
    "lindqvist-astro",
    "lindqvist-survey",
    "raman-genomics",
    "raman-atlas",
    "okafor-dft",
    "okafor-lqcd",
    "herrera-md",
    "herrera-cat",
    "zhao-llm",
    "mensah-climate",
    "mensah-hydro",
    "sorensen-stat4410",
    "kowalski-econ",
    "haddad-connectome",
    "obrien-wastewater",
    "patel-newlab",
    "rc-staff",
)
PARTITIONS = ("standard", "standard", "standard", "highmem", "gpu", "free")
STATES = ("COMPLETED",) * 12 + ("FAILED", "TIMEOUT", "CANCELLED by 20123", "OUT_OF_MEMORY")
PERIOD_START = datetime(2026, 10, 1)


def write_dump(path: Path, lines: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    users = [f"user{i:03d}" for i in range(200)]
    # The start times are drawn from a pool of precomputed strings to keep writing fast.
    starts = []
    for _ in range(5000):
        moment = PERIOD_START + timedelta(seconds=rng.randrange(-3 * 86400, 31 * 86400))
        starts.append((moment, moment.strftime("%Y-%m-%dT%H:%M:%S")))
    with path.open("w", encoding="utf-8") as fh:
        fh.write("JobID|User|Account|Partition|AllocTRES|ElapsedRaw|State|Start|End\n")
        for i in range(lines):
            partition = rng.choice(PARTITIONS)
            account = rng.choice(ACCOUNTS)
            job = f"{7_000_000 + i}" if rng.random() > 0.1 else f"{7_000_000 + i}_{i % 50}"
            if rng.random() < 0.02:
                fh.write(
                    f"{job}|{rng.choice(users)}|{account}|{partition}||0|PENDING|Unknown|Unknown\n"
                )
                continue
            cpus = rng.choice((1, 2, 4, 8, 16, 32, 64, 128))
            if partition == "gpu":
                gpus = rng.choice((1, 2, 4, 8))
                tres = (
                    f"billing={cpus + 15 * gpus},cpu={cpus},gres/gpu:a100={gpus},"
                    f"gres/gpu={gpus},mem={gpus * 120}G,node={max(1, gpus // 4)}"
                )
            else:
                tres = f"billing={cpus},cpu={cpus},mem={cpus * 4}G,node={max(1, cpus // 64)}"
            elapsed = int(rng.expovariate(1 / 7200)) + 1
            start, start_text = rng.choice(starts)
            end_text = (start + timedelta(seconds=elapsed)).strftime("%Y-%m-%dT%H:%M:%S")
            fh.write(
                f"{job}|{rng.choice(users)}|{account}|{partition}|{tres}|{elapsed}|"
                f"{rng.choice(STATES)}|{start_text}|{end_text}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dump", type=Path, help="keep the dump here and reuse it next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        dump = args.dump or Path(tmp) / "sacct.txt"
        if not dump.is_file():
            t0 = time.perf_counter()
            write_dump(dump, args.lines)
            print(f"wrote {args.lines:,} lines in {time.perf_counter() - t0:.1f} s")
        print(f"{dump}: {dump.stat().st_size / 1e6:.0f} MB")
        times, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            result = convert_file("slurm", ROOT, dump, "2026-10", out=Path(tmp) / "hpc.csv")
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        print(
            f"convert_slurm: {result.lines:,} lines read, {result.charged:,} jobs charged, "
            f"{result.rows} rows, billed {result.billed_total:.2f}"
        )
        print(
            f"time: best {min(times):.2f} s, all "
            + ", ".join(f"{t:.2f}" for t in times)
            + f" ({args.lines / min(times):,.0f} lines/s); CPU time best {min(cpu):.2f} s"
        )


if __name__ == "__main__":
    main()
