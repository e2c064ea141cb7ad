"""How a FOCUS file's header names map to the columns the reader uses.

FOCUS 1.0, 1.1 and 1.2 share the columns the reader types (``focus.KNOWN_COLUMNS``); the
columns that 1.1 and 1.2 added, and every provider column (``x_…``), are kept as text in
``extra``. Exports differ in how they write the names:

* a name in another case or in snake_case (``billedcost`` from an Athena query of AWS Data
  Exports, ``billed_cost``) is the FOCUS column;
* a name from an earlier FOCUS version (0.5, 1.0-preview: ``AmortizedCost``, ``ChargeType``,
  ``UsageQuantity``, ``Provider``, ...) is read as the column that replaced it.

A FOCUS name written as FOCUS writes it always wins: a renamed or re-cased column beside it is
kept as an extra, under its own name. The charge ID's text names each column as it is read,
so a file with current names keeps its IDs, and the same export with old or re-cased names
gets the same IDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Columns of earlier FOCUS versions and what replaced them (1.0 and later).
RENAMED = {
    "AmortizedCost": "EffectiveCost",  # 0.5
    "BilledCurrency": "BillingCurrency",  # 0.5
    "ChargeType": "ChargeCategory",  # 0.5, 1.0-preview
    "InvoiceIssuer": "InvoiceIssuerName",  # 0.5
    "Provider": "ProviderName",  # 0.5
    "Publisher": "PublisherName",  # 0.5
    "Region": "RegionId",  # 0.5
    "UsageQuantity": "ConsumedQuantity",  # 0.5
    "UsageUnit": "ConsumedUnit",  # 0.5
}
RENAMED_IN = {"ChargeType": "FOCUS 0.5 and 1.0-preview"}

# The FOCUS columns the reader keeps as extras (it has no use for them), by the version that
# added them (the specification's column definitions, v1.0 to v1.2).
OTHER_FOCUS = {
    "AvailabilityZone": "1.0", "CommitmentDiscountCategory": "1.0",
    "CommitmentDiscountId": "1.0", "CommitmentDiscountName": "1.0",
    "CommitmentDiscountStatus": "1.0", "CommitmentDiscountType": "1.0",
    "PricingCategory": "1.0", "SkuPriceId": "1.0",
    "CapacityReservationId": "1.1", "CapacityReservationStatus": "1.1",
    "CommitmentDiscountQuantity": "1.1", "CommitmentDiscountUnit": "1.1",
    "ServiceSubcategory": "1.1", "SkuMeter": "1.1", "SkuPriceDetails": "1.1",
    "BillingAccountType": "1.2", "InvoiceId": "1.2", "PricingCurrency": "1.2",
    "PricingCurrencyContractedUnitPrice": "1.2", "PricingCurrencyEffectiveCost": "1.2",
    "PricingCurrencyListUnitPrice": "1.2", "SubAccountType": "1.2",
}


def _folded(name: str) -> str:
    return re.sub(r"[\s_]", "", name).lower()


def _names(known: Iterable[str]) -> dict[str, str]:
    """Folded name -> FOCUS name, for the reader's columns (``known``) and the others."""
    names = {_folded(c): c for c in (*known, *OTHER_FOCUS)}
    names.update({_folded(old): new for old, new in RENAMED.items()})
    return names


def read_as(header: list[str], known: Iterable[str]) -> list[str]:
    """The name each header column is read as, in header order: its FOCUS name, or its own
    name (an extra). No two columns are read as one name. ``known``: the reader's columns."""
    folded = _names(known)
    exact = set(header) & set(folded.values())
    names = []
    taken = set(exact)
    for name in header:
        target = folded.get(_folded(name), name) if name not in exact else name
        if target != name and target in taken:
            target = name  # the FOCUS name is there already: this one stays an extra
        taken.add(target)
        names.append(target)
    return names


def how_read(name: str, read: str, known: Iterable[str]) -> str:
    """How one header column was read, for ``ingest --explain``."""
    folded = _names(known)
    if read in set(known):
        if name == read:
            return f"FOCUS {read}"
        old = next((o for o in RENAMED if _folded(o) == _folded(name)), None)
        if old:
            return f"read as {read} (its name in {RENAMED_IN.get(old, 'FOCUS 0.5')})"
        return f"read as {read} (the FOCUS name written in another case)"
    if read in OTHER_FOCUS:
        return f"FOCUS {OTHER_FOCUS[read]} column, kept as an extra (not used for billing)"
    if name.lower().startswith("x_"):
        return "the provider's own column, kept as an extra"
    if _folded(name) in folded:
        return f"kept as an extra ({folded[_folded(name)]} is in the file under its own name)"
    return "not a FOCUS column, kept as an extra"
