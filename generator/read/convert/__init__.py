"""Stage 0, before ingest: on-premises usage to FOCUS, priced with rate tables.

A Slurm cluster and a campus storage system export no FOCUS, so these converters write it:

* ``convert_slurm``: a ``sacct --parsable2 --allocations`` dump, priced by
  ``data/rates/slurm.yaml`` (per partition: a CPU-hour and a GPU-hour price, a subsidy, rate
  changes with effective dates) → ``periods/YYYY-MM/hpc.csv``, one row per Slurm account,
  partition, priced resource (core-hours, GPU-hours) and rate in effect. A job is charged in
  each month for its seconds in that month.
* ``convert_storage``: a usage report (CSV: share, project, bytes used, tier), priced by
  ``data/rates/storage.yaml`` (per tier: a TB-month price, a free allowance per project, a
  subsidy) → ``periods/YYYY-MM/storage.csv``, one row per project, share and tier.

``ListCost`` is the unsubsidized price (quantity × rate) and ``BilledCost`` what the PI pays
after the subsidy, so a statement shows the true value of subsidized service. Attribution
(``pi_email``, ``project_id``, ``fund_org`` in ``Tags``) comes from ``data/accounts.yaml``,
completed from the project registry ``data/projects.yaml``; an account with no mapping still
produces rows, with empty attribution, so the core flags them.

Every bad input line is reported as ``file:line: field "value" is ...; what to do``, and the
output is written (to a temporary file, then moved into place) only when the whole input is
good, unless ``skip_bad`` is set. Money is ``Decimal``; core-seconds and bytes are integers.

The modules: ``slurm`` and ``storage``, one converter each (read the input, price it, write
the rows); ``rates``, the rate tables and ``data/accounts.yaml``; ``shared``, what both
converters use (the bad-line report, FOCUS rows, Decimal text, the CSV, the result). The
command (``generator/commands/convert.py``) checks the period, loads the config and the rate
table, and picks the output: ``-o FILE``, or ``periods/YYYY-MM/<source>.csv`` of an open
period.
"""

from generator.read.convert.rates import load_accounts, load_slurm_rates, load_storage_rates
from generator.read.convert.shared import ConvertResult
from generator.read.convert.slurm import convert_slurm
from generator.read.convert.storage import convert_storage

__all__ = [
    "ConvertResult",
    "convert_slurm",
    "convert_storage",
    "load_accounts",
    "load_slurm_rates",
    "load_storage_rates",
]
