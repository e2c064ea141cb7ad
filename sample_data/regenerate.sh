#!/bin/sh
# Rebuild the demo periods' on-premises files from the raw samples in this folder:
#   periods/2026-08/hpc.csv, periods/2026-09/hpc.csv, periods/2026-10/hpc.csv (Slurm)
#   periods/2026-0{8,9}/storage.csv, periods/2026-10/storage.csv          (storage)
#
#   sample_data/regenerate.sh            convert the committed samples
#   sample_data/regenerate.sh --samples  first rewrite the samples (seeded, so unchanged
#                                        unless a make_*_sample.py script was edited)
#
# Run from anywhere; PYTHON picks the interpreter (default: python). The periods must be
# open. The converters report the accounts and projects with no mapping in
# data/accounts.yaml (the demo keeps one, patel-newlab, to show how it is flagged).
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}

if [ "${1:-}" = "--samples" ]; then
    "$PYTHON" sample_data/make_sacct_sample.py
    "$PYTHON" sample_data/make_storage_sample.py
fi

for period in 2026-08 2026-09 2026-10; do
    "$PYTHON" -m generator convert slurm sample_data/sacct-2026-07-25_2026-11-05.txt -p "$period"
    "$PYTHON" -m generator convert storage "sample_data/storage-$period.csv" -p "$period"
done
