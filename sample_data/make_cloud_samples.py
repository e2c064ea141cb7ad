"""Make the demo cloud FOCUS exports in ``sample_data/`` (deterministic, fictional).

    python sample_data/make_cloud_samples.py                 # writes the 9 CSVs
    python sample_data/make_cloud_samples.py --periods periods   # ...and copies them into
                                                                 # periods/YYYY-MM/<cloud>.csv

Writes ``{aws,azure,gcp}-2026-{08,09,10}.csv``: FOCUS 1.2 columns plus a couple of
provider-specific ``x_`` columns, for the projects in ``data/projects.yaml`` of the
fictional Northfield University. Each provider keeps its own habits: AWS writes ISO 8601
dates with ``Z`` and ``user:`` tag keys, Azure ``YYYY-MM-DD HH:MM:SS`` and CamelCase tag
keys, GCP bare dates and plain label keys.

Money is ``decimal.Decimal`` throughout and written as plain decimal strings with at most 10
decimals: ListCost = quantity x list price; ContractedCost applies the negotiated discount
(5-20 %, by provider and service category); BilledCost applies the institution's subsidy for
the project (0-100 %); EffectiveCost = BilledCost, except a few AWS rows covered by a
savings plan.

Deliberate anomalies (the flag each should raise):

=========  =====  ===================  ======================================================
month      file   project              anomaly -> flag
=========  =====  ===================  ======================================================
2026-08    aws    (none)               untagged instance, Tags ``{}`` -> missing_pi_email,
                                       missing_project_id, missing_fund_org
2026-08    gcp    astro-sim            bucket labelled with project and fund but no PI
                                       -> PI filled from projects.yaml (see below)
2026-08    azure  galaxy-survey        FundOrg ``ABC-12`` -> invalid_fund_org
2026-08    aws    genomics-pipeline    Tags ``{"user:pi_email": {"nested": 1}, ...}``
                                       -> invalid_tags
2026-09    azure  econ-nowcast         ProjectId and FundOrg but no PIEmail
                                       -> PI filled from projects.yaml (see below)
2026-09    gcp    (none)               untagged Tax row -> missing_pi_email,
                                       missing_project_id, missing_fund_org
2026-09    gcp    single-cell-atlas    fund_org ``30512-4210`` (five digits)
                                       -> invalid_fund_org
2026-09    gcp    (unknown)            Tags ``not json`` -> invalid_tags
2026-10    aws    llm-robustness       SkuId ``p4d.24xlarge`` -> pattern:large_gpu_instance
2026-10    aws    hydrology-models     charges after end_date 2026-09-30 -> project_ended
2026-10    aws    protein-folding      fund_org ``2203143310`` (no dash) -> invalid_fund_org
2026-10    azure  brain-imaging        PIEmail is a JSON list (not flat) -> invalid_tags
2026-10    azure  catalyst-screening   ProjectId and FundOrg but no PIEmail
                                       -> PI filled from projects.yaml (see below)
2026-10    gcp    (none)               BigQuery row with no labels (empty Tags)
                                       -> missing_pi_email, missing_project_id,
                                       missing_fund_org
2026-10    azure  catalyst-screening   October total > 3x the Aug/Sep average and > $500
                                       (an HPC screening campaign) -> cost_spike
=========  =====  ===================  ======================================================

The three rows with a registered project but no PI tag show the registry filling in the
PI; they are flagged missing_pi_email only by a reader that does not use the registry.
Each month still has rows flagged missing_pi_email (the untagged ones).

Also in the data (not flagged): credits (ChargeCategory ``Credit``, negative costs) in
aws 2026-08 (astro-sim), gcp 2026-09 (genomics-pipeline), aws 2026-10 (llm-robustness) and
azure 2026-10 (brain-imaging); one refund in aws 2026-10 (genomics-pipeline,
ChargeCategory ``Adjustment``, ChargeClass ``Correction``); stats-teaching's cloud use is
100 % subsidized (BilledCost 0, ListCost > 0; its HPC use is not, so it still owes a little);
galaxy-survey rows in Azure write the PI email in mixed case
(``Marcus.Lindqvist@Northfield.edu``); epi-surveillance ends 2026-12-15 (within 60 days of
2026-11-01). The script checks its own invariants (no duplicate rows, the only
cost spike is the intended one, money columns are exact) before writing. The spike is
checked on the cloud files alone with a wide margin (about 10x), because the demo periods
also hold on-premises HPC and storage charges for the same projects (regenerate.sh).
"""

from __future__ import annotations

import argparse
import calendar
import csv
import hashlib
import json
import random
import shutil
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

SEED = 20261101
MONTHS = ("2026-08", "2026-09", "2026-10")
CLOUDS = ("aws", "azure", "gcp")
Q10 = Decimal("1e-10")
ONE = Decimal(1)

FOCUS_COLUMNS = [
    "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodStart",
    "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd", "ChargeCategory",
    "ChargeClass", "ChargeDescription", "ProviderName", "PublisherName", "InvoiceIssuerName",
    "ServiceName", "ServiceCategory", "ResourceId", "ResourceName", "ResourceType",
    "RegionId", "SkuId", "PricingQuantity", "PricingUnit", "ConsumedQuantity",
    "ConsumedUnit", "ListUnitPrice", "ListCost", "ContractedUnitPrice", "ContractedCost",
    "BilledCost", "EffectiveCost", "Tags",
]  # fmt: skip
EXTRA_COLUMNS = {
    "aws": ["x_UsageType", "x_Operation"],
    "azure": ["x_ResourceGroupName", "x_SkuMeterName"],
    "gcp": ["x_ServiceId", "x_SkuDescription"],
}

# fmt: off
# project id -> (pi email, fund/org, grant, subsidy fraction); mirrors data/projects.yaml.
PROJECTS = {
    "astro-sim": ("marcus.lindqvist@northfield.edu", "211730-3140", "NSF-AST-2407719", "0"),
    "galaxy-survey": ("marcus.lindqvist@northfield.edu", "211742-3140",
                      "NASA-80NSSC24K0613", "0"),
    "genomics-pipeline": ("priya.raman@northfield.edu", "305118-4210", "NIH-U24HG012844", "0.25"),
    "single-cell-atlas": ("priya.raman@northfield.edu", "305126-4210",
                          "USDA-2025-67013-44120", "0.5"),
    "quantum-materials": ("ada.okafor@northfield.edu", "204511-3120", "DOE-DE-SC0025417", "0"),
    "lattice-qcd": ("ada.okafor@northfield.edu", "204587-3120", "DOE-DE-SC0024308", "0"),
    "protein-folding": ("tomas.herrera@northfield.edu", "220314-3310", "NIH-R01GM154321", "0"),
    "catalyst-screening": ("tomas.herrera@northfield.edu", "220362-3310", "NSF-CHE-2350281", "0"),
    "llm-robustness": ("helen.zhao@northfield.edu", "240905-3520", "NSF-IIS-2433107", "0"),
    "climate-downscaling": ("samuel.mensah@northfield.edu", "250417-3610",
                            "NOAA-NA25OAR4310219", "0"),
    "hydrology-models": ("samuel.mensah@northfield.edu", "250433-3610", "USGS-G24AP00118", "0"),
    "stats-teaching": ("ingrid.sorensen@northfield.edu", "230118-3410", "", "1"),
    "econ-nowcast": ("david.kowalski@northfield.edu", "410276-5120", "", "0.1"),
    "brain-imaging": ("leila.haddad@northfield.edu", "330842-4420", "NIH-R01MH137702", "0"),
    "epi-surveillance": ("rachel.obrien@northfield.edu", "520631-6110", "CDC-NU50CK000627", "0.2"),
}
# fmt: on

# Negotiated discount by provider and service category.
DISCOUNTS = {
    "aws": {"Compute": "0.10", "Storage": "0.05", "Networking": "0.08", "*": "0.06"},
    "azure": {"Compute": "0.15", "Storage": "0.12", "Networking": "0.12", "*": "0.15"},
    "gcp": {"Compute": "0.12", "Storage": "0.07", "Networking": "0.07", "*": "0.10"},
}

ACCOUNTS = {
    "aws": ("418273650921", "Northfield University Research"),
    "azure": ("84217590", "Northfield University EA"),
    "gcp": ("01A7C3-5E92B4-D8F061", "Northfield University Research Billing"),
}
PROVIDER_NAMES = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud"}


def sku(service, category, rtype, unit, price, region, desc, x1, x2, consumed_unit=None):
    return {
        "service": service, "category": category, "rtype": rtype, "unit": unit,
        "price": Decimal(price), "region": region, "desc": desc, "x1": x1, "x2": x2,
        "consumed_unit": consumed_unit or unit,
    }  # fmt: skip


# fmt: off
EC2 = "Amazon Elastic Compute Cloud"
S3 = "Amazon Simple Storage Service"
SKUS = {
    "aws": {
        "c6i.8xlarge": sku(EC2, "Compute", "Instance", "Hours", "1.36", "us-east-1",
                           "$1.36 per On Demand Linux c6i.8xlarge Instance Hour",
                           "USE1-BoxUsage:c6i.8xlarge", "RunInstances"),
        "c6i.4xlarge": sku(EC2, "Compute", "Instance", "Hours", "0.68", "us-east-1",
                           "$0.68 per On Demand Linux c6i.4xlarge Instance Hour",
                           "USE1-BoxUsage:c6i.4xlarge", "RunInstances"),
        "r6i.4xlarge": sku(EC2, "Compute", "Instance", "Hours", "1.008", "us-east-1",
                           "$1.008 per On Demand Linux r6i.4xlarge Instance Hour",
                           "USE1-BoxUsage:r6i.4xlarge", "RunInstances"),
        "m6i.2xlarge": sku(EC2, "Compute", "Instance", "Hours", "0.384", "us-east-2",
                           "$0.384 per On Demand Linux m6i.2xlarge Instance Hour",
                           "USE2-BoxUsage:m6i.2xlarge", "RunInstances"),
        "g5.2xlarge": sku(EC2, "Compute", "Instance", "Hours", "1.212", "us-east-1",
                          "$1.212 per On Demand Linux g5.2xlarge Instance Hour",
                          "USE1-BoxUsage:g5.2xlarge", "RunInstances"),
        "p3.2xlarge": sku(EC2, "Compute", "Instance", "Hours", "3.06", "us-east-1",
                          "$3.06 per On Demand Linux p3.2xlarge Instance Hour",
                          "USE1-BoxUsage:p3.2xlarge", "RunInstances"),
        "p4d.24xlarge": sku(EC2, "Compute", "Instance", "Hours", "32.7726", "us-east-1",
                            "$32.7726 per On Demand Linux p4d.24xlarge Instance Hour",
                            "USE1-BoxUsage:p4d.24xlarge", "RunInstances"),
        "t3.medium": sku(EC2, "Compute", "Instance", "Hours", "0.0416", "us-east-1",
                         "$0.0416 per On Demand Linux t3.medium Instance Hour",
                         "USE1-BoxUsage:t3.medium", "RunInstances"),
        "ebs-gp3": sku(EC2, "Storage", "Volume", "GB-Mo", "0.08", "us-east-1",
                       "$0.08 per GB-month of General Purpose (gp3) provisioned storage",
                       "USE1-EBS:VolumeUsage.gp3", "CreateVolume-Gp3"),
        "s3-standard": sku(S3, "Storage", "Bucket", "GB-Mo", "0.023", "us-east-1",
                           "$0.023 per GB - first 50 TB / month of storage used",
                           "TimedStorage-ByteHrs", "StandardStorage"),
        "s3-deep-archive": sku(S3, "Storage", "Bucket", "GB-Mo", "0.00099", "us-east-1",
                               "$0.00099 per GB-Month of storage used in Deep Archive",
                               "TimedStorage-GDA-ByteHrs", "DeepArchiveStorage"),
        "s3-requests": sku(S3, "Storage", "Bucket", "Requests", "0.000005", "us-east-1",
                           "$0.005 per 1,000 PUT, COPY, POST, or LIST requests",
                           "Requests-Tier1", "PutObject"),
        "data-transfer-out": sku("AWS Data Transfer", "Networking", "", "GB", "0.09",
                                 "us-east-1", "$0.09 per GB - first 10 TB / month data "
                                 "transfer out beyond the global free tier",
                                 "USE1-DataTransfer-Out-Bytes", "RunInstances"),
        "sagemaker-g5": sku("Amazon SageMaker", "AI and Machine Learning", "Notebook",
                            "Hours", "1.408", "us-east-1",
                            "$1.408 per ml.g5.xlarge hour in US East (N. Virginia)",
                            "USE1-Notebk:ml.g5.xlarge", "RunInstance"),
        "rds-m6g": sku("Amazon Relational Database Service", "Databases", "DB Instance",
                       "Hours", "0.152", "us-east-1",
                       "$0.152 per RDS db.m6g.large Single-AZ instance hour running "
                       "PostgreSQL", "USE1-InstanceUsage:db.m6g.large", "CreateDBInstance"),
    },
    "azure": {
        "D16s v5": sku("Virtual Machines", "Compute", "Virtual machine", "1 Hour", "0.768",
                       "eastus", "D16s v5 - Linux - East US", "DZH318Z0BQ4L/00GD",
                       "D16s v5"),
        "E32s v5": sku("Virtual Machines", "Compute", "Virtual machine", "1 Hour", "2.016",
                       "eastus", "E32s v5 - Linux - East US", "DZH318Z0BQ4W/004X",
                       "E32s v5"),
        "HB120rs v3": sku("Virtual Machines", "Compute", "Virtual machine", "1 Hour", "3.6",
                          "southcentralus", "HB120rs v3 - Linux - South Central US",
                          "DZH318Z0BQ2B/01RV", "HB120rs v3"),
        "NC24ads A100 v4": sku("Virtual Machines", "Compute", "Virtual machine", "1 Hour",
                               "3.673", "eastus2", "NC24ads A100 v4 - Linux - East US 2",
                               "DZH318Z08M22/0059", "NC24ads A100 v4"),
        "blob-hot": sku("Storage", "Storage", "Storage account", "1 GB/Month", "0.0184",
                        "eastus", "Hot LRS Data Stored", "DZH318Z0BNVX/003D",
                        "Hot LRS Data Stored"),
        "blob-archive": sku("Storage", "Storage", "Storage account", "1 GB/Month", "0.00099",
                            "eastus", "Archive LRS Data Stored", "DZH318Z0BNW4/0015",
                            "Archive LRS Data Stored"),
        "disk-p30": sku("Storage", "Storage", "Disk", "1/Month", "122.88", "eastus",
                        "P30 LRS Disk - East US", "DZH318Z0BP04/00J1", "P30 LRS Disk"),
        "bandwidth": sku("Bandwidth", "Networking", "", "1 GB", "0.087", "eastus",
                         "Standard Data Transfer Out - Zone 1", "DZH318Z0BNVB/0013",
                         "Standard Data Transfer Out"),
        "databricks": sku("Azure Databricks", "Analytics", "Databricks workspace", "1 Hour",
                          "0.55", "eastus", "Premium All-purpose Compute DBU",
                          "DZH318Z0BWPK/0018", "Premium All-purpose Compute DBU"),
        "sql-db": sku("SQL Database", "Databases", "SQL database", "1 Hour", "0.5044",
                      "eastus", "vCore - General Purpose - Compute Gen5 - 2 vCore",
                      "DZH318Z0BQ6X/0042", "2 vCore"),
    },
    "gcp": {
        "n2-standard-8": sku("Compute Engine", "Compute", "Instance", "hour", "0.388461",
                             "us-central1", "N2 Instance Core and Ram running in Americas",
                             "6F81-5844-456A", "N2 Instance Core running in Americas"),
        "n2-standard-16": sku("Compute Engine", "Compute", "Instance", "hour", "0.776922",
                              "us-central1", "N2 Instance Core and Ram running in Americas",
                              "6F81-5844-456A", "N2 Instance Core running in Americas"),
        "c2-standard-30": sku("Compute Engine", "Compute", "Instance", "hour", "1.565700",
                              "us-central1", "Compute optimized Core and Ram running in "
                              "Americas", "6F81-5844-456A",
                              "Compute optimized Core running in Americas"),
        "a2-highgpu-1g": sku("Compute Engine", "Compute", "Instance", "hour", "3.673385",
                             "us-central1", "A100 40GB GPU and A2 Instance running in "
                             "Americas", "6F81-5844-456A",
                             "Nvidia Tesla A100 GPU running in Americas"),
        "e2-standard-4": sku("Compute Engine", "Compute", "Instance", "hour", "0.134012",
                             "us-central1", "E2 Instance Core and Ram running in Americas",
                             "6F81-5844-456A", "E2 Instance Core running in Americas"),
        "pd-ssd": sku("Compute Engine", "Storage", "Disk", "gibibyte month", "0.17",
                      "us-central1", "SSD backed PD Capacity", "6F81-5844-456A",
                      "SSD backed PD Capacity"),
        "gcs-standard": sku("Cloud Storage", "Storage", "Bucket", "gibibyte month", "0.020",
                            "us-central1", "Standard Storage US Regional", "95FF-2EF5-5EA1",
                            "Standard Storage US Regional"),
        "gcs-nearline": sku("Cloud Storage", "Storage", "Bucket", "gibibyte month", "0.010",
                            "us-central1", "Nearline Storage US Regional", "95FF-2EF5-5EA1",
                            "Nearline Storage US Regional"),
        "bigquery": sku("BigQuery", "Analytics", "Dataset", "tebibyte", "6.25", "US",
                        "Analysis (on-demand)", "24E6-581D-38E5", "Analysis"),
        "vertex-train": sku("Vertex AI", "AI and Machine Learning", "Training job", "hour",
                            "0.5462", "us-central1",
                            "Custom Training: N1 Predefined Instance Core and Ram",
                            "C7E2-9256-1C43", "Vertex AI Training N1 Core"),
        "egress": sku("Networking", "Networking", "", "gibibyte", "0.12", "us-central1",
                      "Network Internet Data Transfer Out from Americas to Americas",
                      "E505-1604-58F8", "Network Internet Egress from Americas"),
    },
}
GCP_SKU_IDS = {
    "n2-standard-8": "BB77-5FDA-69D9", "n2-standard-16": "BB77-5FDA-69D9",
    "c2-standard-30": "F7D8-C6C2-2B79", "a2-highgpu-1g": "039F-D0DA-4055",
    "e2-standard-4": "CF4E-A0C7-E3BF", "pd-ssd": "B188-61DD-52E4",
    "gcs-standard": "E5F0-6A5D-7BAD", "gcs-nearline": "1F5B-D2E1-2F8A",
    "bigquery": "3362-E469-6BEF", "vertex-train": "2F30-B3EC-6A8B", "egress": "9DE9-9092-B3BC",
}

# A resource: (cloud, project, name, sku key, mode, low, high, months).
# mode "daily": a row for each of low..high days, each running a random number of hours.
# mode "monthly": one row for the month with a quantity between low and high.
# months: the months the resource exists in (None: all three).
R = tuple[str, str, str, str, str, int, int, tuple[str, ...] | None]
AUG_SEP = ("2026-08", "2026-09")
OCT = ("2026-10",)
RESOURCES: list[R] = [
    # --- AWS ---------------------------------------------------------------------------
    ("aws", "astro-sim", "astro-nbody-01", "c6i.8xlarge", "daily", 6, 9, None),
    ("aws", "astro-sim", "astro-nbody-02", "c6i.8xlarge", "daily", 3, 6, None),
    ("aws", "astro-sim", "astro-sim-snapshots", "s3-standard", "monthly", 6000, 9000, None),
    ("aws", "astro-sim", "astro-sim-scratch", "ebs-gp3", "monthly", 1000, 2000, None),
    ("aws", "astro-sim", "astro-sim-egress", "data-transfer-out", "monthly", 200, 900, None),
    ("aws", "genomics-pipeline", "gp-align-01", "r6i.4xlarge", "daily", 7, 10, None),
    ("aws", "genomics-pipeline", "gp-variant-call", "c6i.4xlarge", "daily", 4, 7, None),
    ("aws", "genomics-pipeline", "nu-genomics-raw", "s3-standard", "monthly", 20000, 26000,
     None),
    ("aws", "genomics-pipeline", "nu-genomics-archive", "s3-deep-archive", "monthly", 150000,
     190000, None),
    ("aws", "genomics-pipeline", "nu-genomics-raw-requests", "s3-requests", "monthly",
     2000000, 4000000, None),
    ("aws", "genomics-pipeline", "gp-metadata-db", "rds-m6g", "monthly", 720, 744, None),
    ("aws", "quantum-materials", "qm-vasp-01", "c6i.8xlarge", "daily", 5, 8, None),
    ("aws", "quantum-materials", "qm-vasp-scratch", "ebs-gp3", "monthly", 500, 800, None),
    ("aws", "protein-folding", "pf-md-gpu-01", "g5.2xlarge", "daily", 8, 12, None),
    ("aws", "protein-folding", "pf-md-gpu-02", "p3.2xlarge", "daily", 2, 4, None),
    ("aws", "protein-folding", "pf-trajectories", "s3-standard", "monthly", 3000, 5000, None),
    ("aws", "llm-robustness", "llm-eval-g5-01", "g5.2xlarge", "daily", 9, 13, None),
    ("aws", "llm-robustness", "llm-eval-g5-02", "g5.2xlarge", "daily", 6, 10, None),
    ("aws", "llm-robustness", "llm-notebook", "sagemaker-g5", "daily", 5, 8, None),
    ("aws", "llm-robustness", "llm-checkpoints", "s3-standard", "monthly", 9000, 12000, None),
    ("aws", "llm-robustness", "llm-a100-finetune", "p4d.24xlarge", "daily", 1, 1, OCT),
    ("aws", "hydrology-models", "hydro-swat-01", "m6i.2xlarge", "daily", 5, 8, AUG_SEP),
    ("aws", "hydrology-models", "hydro-web", "t3.medium", "monthly", 700, 744, None),
    ("aws", "hydrology-models", "hydro-model-runs", "s3-standard", "monthly", 800, 1200, None),
    ("aws", "brain-imaging", "bi-fmriprep-01", "c6i.4xlarge", "daily", 6, 9, None),
    ("aws", "brain-imaging", "nu-connectome-bids", "s3-standard", "monthly", 12000, 15000,
     None),
    # --- Azure -------------------------------------------------------------------------
    ("azure", "galaxy-survey", "vm-gs-reduce-01", "E32s v5", "daily", 4, 7, None),
    ("azure", "galaxy-survey", "stgalaxysurvey", "blob-hot", "monthly", 15000, 20000, None),
    ("azure", "galaxy-survey", "stgalaxyarchive", "blob-archive", "monthly", 80000, 95000,
     None),
    ("azure", "lattice-qcd", "vm-lqcd-hb-01", "HB120rs v3", "daily", 3, 5, None),
    ("azure", "lattice-qcd", "disk-lqcd-configs", "disk-p30", "monthly", 2, 2, None),
    ("azure", "catalyst-screening", "vm-cat-dft-01", "D16s v5", "daily", 7, 11, None),
    ("azure", "catalyst-screening", "stcatalystdata", "blob-hot", "monthly", 2000, 3500, None),
    # October: a screening campaign on two HPC VMs -> cost_spike for the project.
    ("azure", "catalyst-screening", "vm-cat-screen-01", "HB120rs v3", "daily", 20, 24, OCT),
    ("azure", "catalyst-screening", "vm-cat-screen-02", "HB120rs v3", "daily", 18, 22, OCT),
    ("azure", "climate-downscaling", "vm-clim-wrf-01", "D16s v5", "daily", 2, 3, None),
    ("azure", "climate-downscaling", "stclimateoutput", "blob-hot", "monthly", 1500, 2200,
     None),
    ("azure", "econ-nowcast", "dbw-econ-nowcast", "databricks", "daily", 8, 12, None),
    ("azure", "econ-nowcast", "sqldb-econ-series", "sql-db", "monthly", 720, 744, None),
    ("azure", "brain-imaging", "vm-bi-a100-01", "NC24ads A100 v4", "daily", 2, 4, None),
    ("azure", "brain-imaging", "stbiderivatives", "blob-hot", "monthly", 4000, 6000, None),
    ("azure", "epi-surveillance", "vm-epi-dash-01", "D16s v5", "monthly", 700, 744, None),
    ("azure", "epi-surveillance", "sqldb-epi-samples", "sql-db", "monthly", 720, 744, None),
    ("azure", "epi-surveillance", "epi-egress", "bandwidth", "monthly", 300, 700, None),
    # --- GCP ---------------------------------------------------------------------------
    ("gcp", "astro-sim", "astro-postproc-1", "n2-standard-16", "daily", 4, 7, None),
    ("gcp", "astro-sim", "nu-astro-sim-catalogs", "gcs-standard", "monthly", 3000, 4500,
     None),
    ("gcp", "genomics-pipeline", "gp-dragen-1", "n2-standard-16", "daily", 5, 8, None),
    ("gcp", "genomics-pipeline", "nu-genomics-mirror", "gcs-nearline", "monthly", 30000,
     40000, None),
    ("gcp", "genomics-pipeline", "gp-variants", "bigquery", "monthly", 8, 15, None),
    ("gcp", "single-cell-atlas", "sca-scanpy-1", "n2-standard-8", "daily", 6, 10, None),
    ("gcp", "single-cell-atlas", "sca-gpu-1", "a2-highgpu-1g", "daily", 2, 4, None),
    ("gcp", "single-cell-atlas", "nu-sca-matrices", "gcs-standard", "monthly", 5000, 7000,
     None),
    ("gcp", "llm-robustness", "llm-vertex-sweep", "vertex-train", "daily", 5, 9, None),
    ("gcp", "llm-robustness", "llm-eval-datasets", "gcs-standard", "monthly", 4000, 6000,
     None),
    ("gcp", "climate-downscaling", "clim-post-1", "n2-standard-8", "daily", 3, 5, None),
    ("gcp", "climate-downscaling", "nu-clim-cmip6", "gcs-standard", "monthly", 1500, 2000,
     None),
    ("gcp", "stats-teaching", "stat4410-jupyterhub", "e2-standard-4", "daily", 18, 22, None),
    ("gcp", "stats-teaching", "stat4410-home", "pd-ssd", "monthly", 500, 500, None),
    ("gcp", "stats-teaching", "stat4410-warehouse", "bigquery", "monthly", 1, 3, None),
    ("gcp", "epi-surveillance", "epi-pipeline-1", "e2-standard-4", "monthly", 700, 744, None),
    ("gcp", "epi-surveillance", "nu-epi-samples", "gcs-standard", "monthly", 800, 1200, None),
    ("gcp", "epi-surveillance", "epi-egress", "egress", "monthly", 100, 300, None),
]

# fmt: on

# Rows for a project that are also covered by an AWS compute savings plan: EffectiveCost is
# lower than BilledCost (the saving shows on the commitment purchase, not here).
SAVINGS_PLAN = {"astro-nbody-01"}
SPIKE_PROJECT = "catalyst-screening"


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = map(int, month.split("-"))
    start = date(year, mon, 1)
    days = calendar.monthrange(year, mon)[1]
    return start, start + timedelta(days=days)


def fmt_date(cloud: str, d: date) -> str:
    if cloud == "aws":
        return f"{d.isoformat()}T00:00:00Z"
    if cloud == "azure":
        return f"{d.isoformat()} 00:00:00"
    return d.isoformat()


def num(value: Decimal | None) -> str:
    """A plain decimal string with at most 10 decimals, no exponent, no trailing zeros."""
    if value is None:
        return ""
    text = format(value.quantize(Q10, rounding=ROUND_HALF_EVEN), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


MIXED_CASE_PI = "Marcus.Lindqvist@Northfield.edu"


def tags_for(cloud: str, project: str, *, pi_case: str | None = None) -> dict[str, str]:
    pi, fund, grant, _ = PROJECTS[project]
    if pi_case:
        pi = pi_case
    if cloud == "aws":
        tags = {"user:pi_email": pi, "user:project_id": project, "user:fund_org": fund}
        if grant:
            tags["user:grant_number"] = grant
        return tags
    if cloud == "azure":
        if project == "galaxy-survey" and not pi_case:
            pi = MIXED_CASE_PI  # Azure keeps whatever case the tag was typed in
        return {"PIEmail": pi, "ProjectId": project, "FundOrg": fund}
    return {"pi_email": pi, "project_id": project, "fund_org": fund}


def dump_tags(cloud: str, tags: dict | None) -> str:
    if tags is None:
        return ""
    # Azure writes a spaced JSON object; AWS and GCP a compact one.
    seps = (", ", ": ") if cloud == "azure" else (",", ":")
    return json.dumps(tags, separators=seps, ensure_ascii=False)


def resource_ids(cloud: str, project: str | None, name: str, sku_key: str) -> tuple[str, str]:
    """(ResourceId, x_ResourceGroupName) for a resource, stable across months."""
    h = digest(cloud, name)
    group = f"rg-{project or 'unassigned'}"
    info = SKUS[cloud][sku_key]
    if cloud == "aws":
        region = info["region"]
        if info["service"] == S3:
            return f"arn:aws:s3:::{name}", ""
        if info["rtype"] == "Volume":
            return f"arn:aws:ec2:{region}:418273650921:volume/vol-0{h[:16]}", ""
        if info["rtype"] == "Instance":
            return f"arn:aws:ec2:{region}:418273650921:instance/i-0{h[:16]}", ""
        if info["rtype"] == "Notebook":
            return f"arn:aws:sagemaker:{region}:418273650921:notebook-instance/{name}", ""
        if info["rtype"] == "DB Instance":
            return f"arn:aws:rds:{region}:418273650921:db:{name}", ""
        return "", ""
    if cloud == "azure":
        sub = uuid.UUID(h[:32])
        providers = {
            "Virtual machine": "Microsoft.Compute/virtualMachines",
            "Disk": "Microsoft.Compute/disks",
            "Storage account": "Microsoft.Storage/storageAccounts",
            "Databricks workspace": "Microsoft.Databricks/workspaces",
            "SQL database": "Microsoft.Sql/servers/sql-nu-research/databases",
        }
        kind = providers.get(info["rtype"])
        if not kind:
            return "", group
        return f"/subscriptions/{sub}/resourceGroups/{group}/providers/{kind}/{name}", group
    gproject = f"nu-{project or 'shared'}"
    if info["service"] == "Cloud Storage":
        return f"//storage.googleapis.com/projects/_/buckets/{name}", ""
    if info["service"] == "BigQuery":
        return f"//bigquery.googleapis.com/projects/{gproject}/datasets/{name}", ""
    if info["service"] == "Vertex AI":
        return (
            f"//aiplatform.googleapis.com/projects/{gproject}/locations/us-central1/"
            f"customJobs/{int(h[:12], 16)}",
            "",
        )
    if info["rtype"] == "Disk":
        return f"//compute.googleapis.com/projects/{gproject}/zones/us-central1-a/disks/{name}", ""
    if info["rtype"] == "Instance":
        return (
            f"//compute.googleapis.com/projects/{gproject}/zones/us-central1-a/instances/{name}",
            "",
        )
    return "", ""


class Builder:
    """Builds the rows of one (cloud, month) file."""

    def __init__(self, cloud: str, month: str) -> None:
        self.cloud = cloud
        self.month = month
        self.start, self.end = month_bounds(month)
        self.rng = random.Random(f"{SEED}-{cloud}-{month}")
        self.rows: list[dict[str, str]] = []

    def base(self) -> dict[str, str]:
        account_id, account_name = ACCOUNTS[self.cloud]
        provider = PROVIDER_NAMES[self.cloud]
        row = dict.fromkeys(FOCUS_COLUMNS + EXTRA_COLUMNS[self.cloud], "")
        row.update(
            BillingAccountId=account_id,
            BillingAccountName=account_name,
            BillingCurrency="USD",
            BillingPeriodStart=fmt_date(self.cloud, self.start),
            BillingPeriodEnd=fmt_date(self.cloud, self.end),
            ProviderName=provider,
            PublisherName=provider,
            InvoiceIssuerName=provider,
        )
        return row

    def usage(
        self,
        project: str | None,
        name: str,
        sku_key: str,
        qty: Decimal,
        day: date | None,
        *,
        tags: dict | str | None = "project",
        subsidy: str | None = None,
    ) -> dict[str, str]:
        """One usage row; ``day`` None means the whole month."""
        cloud = self.cloud
        info = SKUS[cloud][sku_key]
        row = self.base()
        if day is None:
            c_start, c_end = self.start, self.end
        else:
            c_start, c_end = day, day + timedelta(days=1)
        price = info["price"]
        disc = Decimal(DISCOUNTS[cloud].get(info["category"], DISCOUNTS[cloud]["*"]))
        if subsidy is None:
            subsidy = PROJECTS[project][3] if project in PROJECTS else "0"
        contracted_price = (price * (ONE - disc)).quantize(Q10)
        list_cost = (qty * price).quantize(Q10)
        contracted = (qty * contracted_price).quantize(Q10)
        billed = (contracted * (ONE - Decimal(subsidy))).quantize(Q10)
        effective = billed
        if name in SAVINGS_PLAN:
            effective = (billed * Decimal("0.72")).quantize(Q10)
        if tags == "project":
            tags = tags_for(cloud, project) if project else None
        resource_id, group = resource_ids(cloud, project, name, sku_key)
        sku_id = (
            sku_key
            if cloud == "aws"
            else info["x1"]
            if cloud == "azure"
            else (GCP_SKU_IDS[sku_key])
        )
        row.update(
            ChargePeriodStart=fmt_date(cloud, c_start),
            ChargePeriodEnd=fmt_date(cloud, c_end),
            ChargeCategory="Usage",
            ChargeDescription=info["desc"],
            ServiceName=info["service"],
            ServiceCategory=info["category"],
            ResourceId=resource_id,
            ResourceName=name if resource_id else "",
            ResourceType=info["rtype"],
            RegionId=info["region"],
            SkuId=sku_id,
            PricingQuantity=num(qty),
            PricingUnit=info["unit"],
            ConsumedQuantity=num(qty),
            ConsumedUnit=info["consumed_unit"],
            ListUnitPrice=num(price),
            ListCost=num(list_cost),
            ContractedUnitPrice=num(contracted_price),
            ContractedCost=num(contracted),
            BilledCost=num(billed),
            EffectiveCost=num(effective),
            Tags=tags if isinstance(tags, str) else dump_tags(cloud, tags),
        )
        if cloud == "aws":
            row.update(x_UsageType=info["x1"], x_Operation=info["x2"])
        elif cloud == "azure":
            row.update(x_ResourceGroupName=group, x_SkuMeterName=info["x2"])
        else:
            row.update(x_ServiceId=info["x1"], x_SkuDescription=info["x2"])
        self.rows.append(row)
        return row

    def other(
        self,
        category: str,
        amount: str,
        description: str,
        service: str,
        service_category: str,
        *,
        project: str | None = None,
        day: date | None = None,
        charge_class: str = "",
    ) -> dict[str, str]:
        """A credit, refund or tax row: no unit prices, List = Contracted = Billed."""
        row = self.base()
        c_start, c_end = (self.start, self.end) if day is None else (day, day + timedelta(1))
        value = num(Decimal(amount))
        row.update(
            ChargePeriodStart=fmt_date(self.cloud, c_start),
            ChargePeriodEnd=fmt_date(self.cloud, c_end),
            ChargeCategory=category,
            ChargeClass=charge_class,
            ChargeDescription=description,
            ServiceName=service,
            ServiceCategory=service_category,
            ListCost=value,
            ContractedCost=value,
            BilledCost=value,
            EffectiveCost=value,
            Tags=dump_tags(self.cloud, tags_for(self.cloud, project)) if project else "",
        )
        self.rows.append(row)
        return row

    def day_in_month(self, day: int) -> date:
        return self.start + timedelta(days=day - 1)

    def resources(self) -> None:
        rng = self.rng
        days_in_month = (self.end - self.start).days
        for cloud, project, name, sku_key, mode, low, high, months in RESOURCES:
            if cloud != self.cloud or (months and self.month not in months):
                continue
            if mode == "daily":
                count = rng.randint(low, high)
                days = sorted(rng.sample(range(1, days_in_month + 1), count))
                for d in days:
                    if sku_key == "p4d.24xlarge":
                        hours = Decimal(24)
                    else:
                        hours = Decimal(rng.randint(20000, 240000)).scaleb(-4)
                    self.usage(project, name, sku_key, hours, self.day_in_month(d))
            else:
                if low == high:
                    qty = Decimal(low)
                elif SKUS[cloud][sku_key]["unit"] in ("Hours", "1 Hour", "hour", "Requests"):
                    qty = Decimal(rng.randint(low, high))
                else:
                    qty = Decimal(rng.randint(low * 10000, high * 10000)).scaleb(-4)
                self.usage(project, name, sku_key, qty, None)


def build(cloud: str, month: str) -> list[dict[str, str]]:
    b = Builder(cloud, month)
    b.resources()
    d = b.day_in_month
    if cloud == "aws" and month == "2026-08":
        b.usage(None, "untagged-test-instance", "m6i.2xlarge", Decimal("41.5"), d(12), tags={})
        b.usage(
            "genomics-pipeline", "gp-qc-scratch", "ebs-gp3", Decimal("250"), None,
            tags='{"user:pi_email":{"nested":1},"user:project_id":"genomics-pipeline"}',
        )  # fmt: skip
        b.other(
            "Credit",
            "-75.00",
            "AWS Cloud Credit for Research - promotional credit",
            EC2,
            "Compute",
            project="astro-sim",
            day=d(31),
        )
    if cloud == "aws" and month == "2026-10":
        b.other(
            "Credit",
            "-250.00",
            "AWS Cloud Credit for Research - promotional credit",
            EC2,
            "Compute",
            project="llm-robustness",
            day=d(31),
        )
        b.other(
            "Adjustment",
            "-18.4221",
            "Refund: duplicate S3 PUT request charges billed in "
            "September 2026 (support case 170234)",
            S3,
            "Storage",
            project="genomics-pipeline",
            day=d(14),
            charge_class="Correction",
        )
        tags = tags_for("aws", "protein-folding")
        tags["user:fund_org"] = "2203143310"
        b.usage(
            "protein-folding", "pf-analysis-01", "m6i.2xlarge", Decimal("96.25"), None, tags=tags
        )
    if cloud == "azure" and month == "2026-08":
        tags = tags_for("azure", "galaxy-survey")
        tags["FundOrg"] = "ABC-12"
        b.usage("galaxy-survey", "vm-gs-quicklook", "D16s v5", Decimal("37.5"), None, tags=tags)
    if cloud == "azure" and month == "2026-09":
        tags = tags_for("azure", "econ-nowcast")
        del tags["PIEmail"]
        b.usage("econ-nowcast", "vm-econ-scratch", "D16s v5", Decimal("22.75"), d(18), tags=tags)
    if cloud == "azure" and month == "2026-10":
        b.usage(
            "brain-imaging",
            "vm-bi-qc-01",
            "D16s v5",
            Decimal("14.5"),
            d(9),
            tags='{"PIEmail": ["leila.haddad@northfield.edu", "grad.student@northfield.edu"], '
            '"ProjectId": "brain-imaging", "FundOrg": "330842-4420"}',
        )
        tags = tags_for("azure", "catalyst-screening")
        del tags["PIEmail"]
        b.usage(
            "catalyst-screening", "stcatalystscratch", "blob-hot", Decimal("850"), None, tags=tags
        )
        b.other(
            "Credit",
            "-60.00",
            "Azure sponsorship credit applied",
            "Virtual Machines",
            "Compute",
            project="brain-imaging",
            day=d(31),
        )
    if cloud == "gcp" and month == "2026-08":
        tags = tags_for("gcp", "astro-sim")
        del tags["pi_email"]
        b.usage("astro-sim", "nu-astro-sim-public", "gcs-standard", Decimal("640"), None, tags=tags)
    if cloud == "gcp" and month == "2026-09":
        b.other("Tax", "12.37", "Sales tax", "", "Other")
        tags = tags_for("gcp", "single-cell-atlas")
        tags["fund_org"] = "30512-4210"
        b.usage(
            "single-cell-atlas", "sca-scanpy-2", "n2-standard-8", Decimal("11.5"), d(22), tags=tags
        )
        b.usage(None, "shared-egress", "egress", Decimal("85.3"), None, tags="not json")
        b.other(
            "Credit",
            "-120.00",
            "Research credits: Google Cloud research credits program",
            "Compute Engine",
            "Compute",
            project="genomics-pipeline",
            day=d(30),
        )
    if cloud == "gcp" and month == "2026-10":
        b.usage(None, "adhoc_analysis", "bigquery", Decimal("0.84"), d(27), tags=None)
    # Order rows as an export would: by charge period, then service and resource.
    b.rows.sort(
        key=lambda r: (
            r["ChargePeriodStart"],
            r["ServiceName"],
            r["ResourceId"],
            r["ChargeCategory"],
        )
    )
    return b.rows


# ---------------------------------------------------------------------------------------
# Self-checks


def project_of(cloud: str, row: dict[str, str]) -> str | None:
    try:
        tags = json.loads(row["Tags"]) if row["Tags"] else {}
    except ValueError:
        return None
    if not isinstance(tags, dict):
        return None
    key = {"aws": "user:project_id", "azure": "ProjectId", "gcp": "project_id"}[cloud]
    value = tags.get(key)
    return value if isinstance(value, str) else None


def check(files: dict[tuple[str, str], list[dict[str, str]]]) -> dict[str, dict[str, Decimal]]:
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for (cloud, month), rows in files.items():
        assert 40 <= len(rows) <= 120, (cloud, month, len(rows))
        seen = set()
        for row in rows:
            key = tuple(row.values())
            assert key not in seen, f"duplicate row in {cloud} {month}: {row}"
            seen.add(key)
            for col in ("ListCost", "ContractedCost", "BilledCost", "EffectiveCost"):
                text = row[col]
                assert "e" not in text.lower() and Decimal(text) == Decimal(text).quantize(Q10)
            if row["ChargeCategory"] == "Usage":
                lc, cc, bc = (Decimal(row[c]) for c in ("ListCost", "ContractedCost", "BilledCost"))
                assert lc >= cc >= bc >= 0, row
            project = project_of(cloud, row)
            if project:
                totals[project][month] += Decimal(row["BilledCost"])
    # Cost spikes: only catalyst-screening in October (checked against both the two-month
    # average and a three-month average that counts the missing July as zero).
    for project, by_month in totals.items():
        aug, sep, oct_ = (by_month.get(m, Decimal(0)) for m in MONTHS)
        avg2 = (aug + sep) / 2
        spike = oct_ > 3 * avg2 and oct_ > 500
        if project == SPIKE_PROJECT:
            assert spike and oct_ > 10 * avg2 and oct_ > 1500, (project, aug, sep, oct_)
        else:
            assert oct_ <= 2 * avg2 or oct_ <= 500, (project, aug, sep, oct_)
            assert sep <= 2 * aug or sep <= 500, (project, aug, sep)
    return totals


def write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parent
    parser.add_argument("--out", type=Path, default=here, help="output folder")
    parser.add_argument(
        "--periods", type=Path, help="also copy to PERIODS/YYYY-MM/<cloud>.csv (e.g. periods)"
    )
    args = parser.parse_args()
    files = {(cloud, month): build(cloud, month) for month in MONTHS for cloud in CLOUDS}
    totals = check(files)
    args.out.mkdir(parents=True, exist_ok=True)
    for (cloud, month), rows in files.items():
        path = args.out / f"{cloud}-{month}.csv"
        write(path, rows)
        billed = sum((Decimal(r["BilledCost"]) for r in rows), Decimal(0))
        print(f"{path}: {len(rows)} rows, BilledCost {num(billed)}")
        if args.periods:
            target = args.periods / month / f"{cloud}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    print("BilledCost by project (tagged rows):")
    for project in sorted(totals):
        line = "  ".join(f"{m} {totals[project].get(m, Decimal(0)):>12.2f}" for m in MONTHS)
        print(f"  {project:<20} {line}")


if __name__ == "__main__":
    main()
