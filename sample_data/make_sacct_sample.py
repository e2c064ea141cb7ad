# ruff: noqa: E501  (the lab and job tables read best one per line)
"""Write the demo ``sacct`` dump: Northfield HPC jobs from late July to early November 2026.

    python sample_data/make_sacct_sample.py [OUT]

Seeded, so the output is the same on every run. The file is what this command prints on the
cluster on 2026-11-05 at 06:00 (see docs/sources/slurm.md):

    sacct --allusers --parsable2 --allocations -S 2026-07-25 -E 2026-11-05T06:00:00 \
          --format=JobID,User,Account,Partition,AllocTRES,ElapsedRaw,State,Start,End

It has four partitions (standard, highmem, gpu with A100s, and the free tier), pending,
cancelled and running jobs, array jobs, jobs crossing month boundaries and the GPU rate
change of 2026-09-16, two excluded staff accounts and one account with no mapping in
``data/accounts.yaml`` (a new lab, ``patel-newlab``).
"""

from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "sacct-2026-07-25_2026-11-05.txt"
FIELDS = "JobID|User|Account|Partition|AllocTRES|ElapsedRaw|State|Start|End"
FIRST = datetime(2026, 7, 25)
EXPORTED = datetime(2026, 11, 5, 6, 0, 0)
LIMITS = {"standard": 72 * 3600, "highmem": 7 * 86400, "gpu": 48 * 3600, "free": 24 * 3600}


@dataclass(frozen=True)
class Lab:
    account: str
    users: tuple[str, ...]
    per_day: float  # jobs a day on average
    mix: tuple[tuple[str, float], ...]  # partition, share of jobs
    cores: tuple[int, ...]  # typical CPU counts
    hours: float  # median run time
    active: tuple[datetime, datetime] = (FIRST, EXPORTED)


LABS = (
    Lab("lindqvist-astro", ("mlindqvist", "jpark", "aferreira"), 9, (("standard", 0.85), ("highmem", 0.15)), (32, 64, 128, 256), 6.0),
    Lab("lindqvist-survey", ("mlindqvist", "tnguyen"), 4, (("standard", 0.7), ("gpu", 0.3)), (8, 16, 32), 2.0),
    Lab("raman-genomics", ("praman", "kbello", "shu"), 10, (("standard", 0.6), ("highmem", 0.4)), (8, 16, 32), 3.0),
    Lab("raman-atlas", ("praman", "lortiz"), 3, (("highmem", 0.7), ("gpu", 0.3)), (16, 32, 48), 5.0),
    Lab("okafor-dft", ("aokafor", "rchen", "mdiallo"), 7, (("standard", 1.0),), (64, 128), 10.0),
    Lab("okafor-lqcd", ("aokafor", "ewalsh"), 2, (("gpu", 0.8), ("standard", 0.2)), (32, 64), 14.0),
    Lab("herrera-md", ("therrera", "nkhan", "vrossi"), 6, (("gpu", 0.75), ("standard", 0.25)), (8, 16), 12.0),
    Lab("herrera-cat", ("therrera", "ysato"), 5, (("standard", 0.9), ("free", 0.1)), (4, 8, 16), 1.0),
    Lab("zhao-llm", ("hzhao", "dkim", "oadeyemi", "gmorales"), 5, (("gpu", 0.9), ("standard", 0.1)), (16, 32, 64), 8.0),
    Lab("mensah-climate", ("smensah", "fosei"), 4, (("standard", 0.8), ("highmem", 0.2)), (64, 128, 192), 9.0),
    # The hydrology project ended 2026-09-30 but a student keeps running jobs in October.
    Lab("mensah-hydro", ("smensah", "bkipkorir"), 3, (("standard", 1.0),), (8, 16, 32), 4.0),
    Lab("sorensen-stat4410", tuple(f"stat4410-{i:02d}" for i in range(1, 25)), 14, (("free", 0.95), ("standard", 0.05)), (1, 2, 4), 0.4, (datetime(2026, 8, 31), EXPORTED)),
    Lab("kowalski-econ", ("dkowalski", "hlarsen"), 2, (("standard", 0.7), ("free", 0.3)), (4, 8, 16), 2.5),
    Lab("haddad-connectome", ("lhaddad", "wmurphy", "ztan"), 5, (("gpu", 0.4), ("highmem", 0.3), ("standard", 0.3)), (8, 16, 32), 6.0),
    Lab("obrien-wastewater", ("robrien", "cadams"), 3, (("standard", 0.9), ("free", 0.1)), (4, 8), 1.5),
    # A new lab whose account is not yet in data/accounts.yaml: its charges get flagged.
    Lab("patel-newlab", ("apatel", "jlee"), 2, (("standard", 0.6), ("gpu", 0.4)), (8, 16), 3.0, (datetime(2026, 9, 8), EXPORTED)),
    # Staff and benchmark accounts, excluded in data/rates/slurm.yaml.
    Lab("rc-staff", ("rcadmin", "jsmith"), 2, (("standard", 0.5), ("gpu", 0.2), ("highmem", 0.3)), (1, 4, 64), 0.5),
    Lab("rc-benchmark", ("rcbench",), 0.5, (("gpu", 0.5), ("standard", 0.5)), (64, 128), 2.0),
)  # fmt: skip

# Jobs that cross a month boundary or the GPU rate change, placed on purpose.
FIXED = (
    ("lindqvist-astro", "mlindqvist", "highmem", 96, 0, datetime(2026, 7, 30, 21, 15, 4), 5 * 86400 + 3 * 3600 + 7, "COMPLETED"),
    ("raman-genomics", "kbello", "highmem", 48, 0, datetime(2026, 8, 29, 8, 2, 51), 6 * 86400 + 1234, "COMPLETED"),
    ("herrera-md", "nkhan", "gpu", 16, 2, datetime(2026, 8, 31, 18, 30, 0), 40 * 3600 + 125, "TIMEOUT"),
    ("zhao-llm", "dkim", "gpu", 64, 8, datetime(2026, 9, 14, 22, 0, 0), 47 * 3600 + 59 * 60, "COMPLETED"),
    ("okafor-lqcd", "ewalsh", "gpu", 32, 4, datetime(2026, 9, 15, 12, 0, 0), 30 * 3600, "COMPLETED"),
    ("mensah-climate", "fosei", "standard", 192, 0, datetime(2026, 9, 29, 11, 11, 11), 71 * 3600 + 5, "COMPLETED"),
    ("mensah-hydro", "bkipkorir", "standard", 32, 0, datetime(2026, 9, 30, 20, 0, 0), 9 * 3600, "COMPLETED"),
    ("haddad-connectome", "lhaddad", "highmem", 32, 0, datetime(2026, 10, 30, 9, 45, 0), 7 * 86400, "RUNNING"),
    ("zhao-llm", "oadeyemi", "gpu", 32, 4, datetime(2026, 10, 31, 19, 0, 0), 20 * 3600, "COMPLETED"),
)  # fmt: skip


def main(out: Path = OUT) -> None:
    rng = random.Random(20261105)
    jobs = []
    for lab in LABS:
        day = FIRST
        while day < EXPORTED:
            lo, hi = lab.active
            weekend = day.weekday() >= 5
            rate = lab.per_day * (0.5 if weekend else 1.1) if lo <= day < hi else 0
            for _ in range(_poisson(rng, rate)):
                start = day + timedelta(seconds=rng.randrange(86400))
                if start < EXPORTED:
                    jobs.append(_job(rng, lab, start))
            day += timedelta(days=1)
    for account, user, partition, cpus, gpus, start, elapsed, state in FIXED:
        jobs.append((start, account, user, partition, cpus, gpus, elapsed, state))
    jobs.sort(key=lambda j: (j[0], j[1], j[2]))

    lines = [FIELDS]
    job_id = 4_812_000
    for start, account, user, partition, cpus, gpus, elapsed, state in jobs:
        job_id += rng.randint(1, 4)
        job = str(job_id)
        if rng.random() < 0.08:
            job = f"{job_id}_{rng.randint(0, 99)}"  # an array task
        lines.append(_line(rng, job, account, user, partition, cpus, gpus, start, elapsed, state))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{out}: {len(lines) - 1} jobs")


def _job(
    rng: random.Random, lab: Lab, start: datetime
) -> tuple[datetime, str, str, str, int, int, int, str]:
    partition = rng.choices([p for p, _ in lab.mix], [w for _, w in lab.mix])[0]
    cpus = rng.choice(lab.cores)
    gpus = 0
    if partition == "gpu":
        gpus = rng.choice((1, 1, 2, 4, 4, 8))
        cpus = min(cpus, 16 * gpus)
    elif partition == "highmem":
        cpus = min(cpus, 96)
    elif partition == "free":
        cpus = min(cpus, 16)
    hours = rng.lognormvariate(math.log(lab.hours), 1.1)
    elapsed = max(5, int(hours * 3600))
    limit = LIMITS[partition]
    roll = rng.random()
    if elapsed >= limit:
        elapsed, state = limit + rng.randint(0, 90), "TIMEOUT"
    elif roll < 0.06:
        state, elapsed = "FAILED", max(3, elapsed // rng.randint(2, 50))
    elif roll < 0.09:
        state = f"CANCELLED by {rng.randint(20001, 20999)}"
        elapsed = 0 if rng.random() < 0.4 else elapsed // 2
    elif roll < 0.105:
        state, elapsed = "OUT_OF_MEMORY", max(10, elapsed // 3)
    elif roll < 0.108:
        state, elapsed = "NODE_FAIL", elapsed // 2
    elif partition == "free" and roll < 0.2:
        state, elapsed = "PREEMPTED", max(30, elapsed // 2)
    else:
        state = "COMPLETED"
    user = rng.choice(lab.users)
    return (start, lab.account, user, partition, cpus, gpus, elapsed, state)


def _line(
    rng: random.Random,
    job: str,
    account: str,
    user: str,
    partition: str,
    cpus: int,
    gpus: int,
    start: datetime,
    elapsed: int,
    state: str,
) -> str:
    if start >= EXPORTED - timedelta(minutes=20) or (elapsed == 0 and "CANCELLED" not in state):
        # Still waiting in the queue when sacct ran.
        return f"{job}|{user}|{account}|{partition}||0|PENDING|Unknown|Unknown"
    if elapsed == 0:  # cancelled while pending
        cancel = start + timedelta(seconds=rng.randint(30, 7200))
        return f"{job}|{user}|{account}|{partition}||0|{state}|None|{_ts(cancel)}"
    end = start + timedelta(seconds=elapsed)
    if end > EXPORTED or state == "RUNNING":
        elapsed = int((EXPORTED - start).total_seconds())
        end_text, state = "Unknown", "RUNNING"
    else:
        end_text = _ts(end)
    return (
        f"{job}|{user}|{account}|{partition}|{_tres(partition, cpus, gpus)}|{elapsed}|{state}|"
        f"{_ts(start)}|{end_text}"
    )


def _tres(partition: str, cpus: int, gpus: int) -> str:
    per_node = {"standard": 64, "highmem": 96, "gpu": 64, "free": 32}[partition]
    nodes = max(-(-cpus // per_node), -(-gpus // 4))
    if partition == "gpu":
        mem = f"{gpus * 120}G"
        return (
            f"billing={cpus + 15 * gpus},cpu={cpus},gres/gpu:a100={gpus},gres/gpu={gpus},"
            f"mem={mem},node={nodes}"
        )
    mem = f"{cpus * (20 if partition == 'highmem' else 4)}G"
    return f"billing={cpus},cpu={cpus},mem={mem},node={nodes}"


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)
