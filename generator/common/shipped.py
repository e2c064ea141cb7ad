"""What OpenChargeback ships beside its code: the site templates, the site's config and
hand-written docs, and the billing workflows. The demo repository uses them where they are
(at the top of a source checkout); a wheel carries a copy (``setup.py`` makes it), which
``init`` copies into a new billing repository and the renderers fall back on.

Standard library only: ``setup.py`` imports this module before the package is installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
SHIPPED = (
    "site_templates",
    "mkdocs.yml",
    "docs",
    ".github/workflows/check.yml",
    ".github/workflows/publish.yml",
)
NOT_SHIPPED = ("billing", "__pycache__")  # generated pages, caches


def shipped_root() -> Path:
    """Where the shipped files are: inside the package (a wheel), or the source checkout."""
    packaged = PACKAGE / "shipped"
    return packaged if packaged.is_dir() else PACKAGE.parent


def copy_tree(source: Path, target: Path) -> None:
    ignore = shutil.ignore_patterns(*NOT_SHIPPED)
    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def copy_shipped(root: Path, target: Path) -> None:
    """Each of ``SHIPPED`` that ``root`` has, copied to the same place under ``target``."""
    for name in SHIPPED:
        if (root / name).exists():
            copy_tree(root / name, target / name)
