"""Period lifecycle: ``open`` → ``closed`` → ``finalized``, kept in periods/YYYY-MM/period.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import Config, load_yaml
from .errors import DataError, Problem

STATUSES = ("open", "closed", "finalized")


def period_file(cfg: Config, period: str) -> Path:
    return cfg.periods_dir / period / "period.yaml"


def read_period(cfg: Config, period: str) -> dict[str, Any]:
    """The period's record; a period with no period.yaml is open."""
    path = period_file(cfg, period)
    data = (load_yaml(path) if path.is_file() else None) or {}
    if not isinstance(data, dict):
        raise DataError([Problem(str(path), "expected a mapping with status:")])
    status = data.get("status", "open")
    if status not in STATUSES:
        raise DataError(
            [Problem(str(path), f"status {status!r}: use one of {', '.join(STATUSES)}")]
        )
    data["status"] = status
    return data


def status(cfg: Config, period: str) -> str:
    return str(read_period(cfg, period)["status"])


def require_open(cfg: Config, period: str, doing: str) -> None:
    """Refuse to change a closed or finalized period."""
    current = status(cfg, period)
    if current != "open":
        hint = (
            "reopen it with `openchargeback periods reopen` and a reason"
            if current == "closed"
            else "put corrections in a later open period with `openchargeback correct`"
        )
        raise DataError([Problem(f"periods/{period}", f"is {current}; cannot {doing}; {hint}")])
