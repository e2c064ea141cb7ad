"""Write the demo storage usage reports ``storage-2026-08.csv`` … ``storage-2026-10.csv``.

    python sample_data/make_storage_sample.py

Each report is what the campus storage system's monthly usage job writes on the 1st of the
next month (see docs/sources/storage.md): one line per share and tier with the bytes used,
averaged over the month. Seeded, so the output is the same on every run. The project column
holds registry project IDs (``data/projects.yaml``) for most shares, a Slurm-style group name
mapped in ``data/accounts.yaml`` for a few, and one project with no mapping at all.
"""

from __future__ import annotations

import random
from pathlib import Path

HERE = Path(__file__).parent
PERIODS = ("2026-08", "2026-09", "2026-10")
TB = 10**12

# share, project, tier, TB used in August, monthly growth
SHARES = (
    ("/research/astro-sim", "astro-sim", "standard", 84.0, 0.04),
    ("/research/astro-sim/snapshots", "astro-sim", "archive", 310.0, 0.02),
    ("/research/galaxy-survey", "galaxy-survey", "standard", 22.5, 0.06),
    ("/research/genomics", "genomics-pipeline", "standard", 61.2, 0.08),
    ("/research/genomics/scratch-fast", "genomics-pipeline", "performance", 12.0, 0.0),
    ("/research/genomics/raw-reads", "genomics-pipeline", "archive", 140.0, 0.05),
    ("/research/single-cell-atlas", "single-cell-atlas", "standard", 0.42, 0.10),
    ("/research/okafor-dft", "okafor-dft", "standard", 6.8, 0.03),
    ("/research/lattice-qcd", "lattice-qcd", "standard", 38.0, 0.01),
    ("/research/lattice-qcd/ensembles", "lattice-qcd", "archive", 95.0, 0.0),
    ("/research/protein-folding", "protein-folding", "standard", 17.3, 0.05),
    ("/research/protein-folding/trajectories", "protein-folding", "performance", 4.0, 0.15),
    ("/research/catalyst-screening", "catalyst-screening", "standard", 0.85, 0.02),
    ("/research/llm-robustness", "llm-robustness", "performance", 28.0, 0.12),
    ("/research/llm-robustness/checkpoints", "llm-robustness", "standard", 45.0, 0.09),
    ("/research/climate-downscaling", "climate-downscaling", "standard", 120.0, 0.03),
    ("/research/climate-downscaling/cmip6", "climate-downscaling", "archive", 480.0, 0.0),
    ("/research/hydrology-models", "mensah-hydro", "standard", 9.4, 0.0),
    ("/research/stat4410", "stats-teaching", "standard", 0.35, 0.25),
    ("/research/econ-nowcast", "econ-nowcast", "standard", 2.1, 0.04),
    ("/research/brain-imaging", "brain-imaging", "standard", 73.0, 0.05),
    ("/research/brain-imaging/mri-raw", "brain-imaging", "archive", 205.0, 0.03),
    ("/research/wastewater", "epi-surveillance", "standard", 3.3, 0.07),
    # A new lab's share, provisioned before its project was registered.
    ("/research/patel-lab", "patel-newlab", "standard", 1.6, 0.3),
)


def main() -> None:
    rng = random.Random(20261001)
    for month, period in enumerate(PERIODS):
        lines = ["share,project,bytes_used,tier"]
        for share, project, tier, tb, growth in SHARES:
            size = tb * (1 + growth) ** month * rng.uniform(0.985, 1.015)
            lines.append(f"{share},{project},{int(size * TB)},{tier}")
        out = HERE / f"storage-{period}.csv"
        out.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{out}: {len(lines) - 1} shares")


if __name__ == "__main__":
    main()
