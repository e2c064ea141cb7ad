"""Every name the renderers give a file or a page, in one place.

Names are built from PI emails and project IDs, which come from data: each is slugged
(``common.files.slug``) so it cannot leave its folder, and made unique where two IDs would
share a slug (also ignoring case, for case-insensitive file systems) by adding 8 hex digits
of the ID's SHA-256.

- statements: ``build/statements/YYYY-MM/<pi>/<project>.{md,pdf,csv}``, numbered
  ``YYYY-MM-<8 hex>``;
- site pages: ``docs/billing/pis/<pi>.md``, ``docs/billing/projects/<project>.md``, published
  at ``billing/pis/<pi>/`` (site.access: open; the private folders are ``render.access``'s);
- email: ``build/emails/YYYY-MM/<pi>.eml``, attachments ``statement-YYYY-MM-<project>.pdf``;
  budget alerts ``build/emails/YYYY-MM/alerts/<pi>-<project or fund/org>-<8 hex>.eml``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from generator.common.files import slug

K = TypeVar("K", bound=Hashable)
StatementKey = tuple[str, str | None, str | None]  # (period, pi_email, project_id)
# Page names MkDocs gives a meaning of its own.
RESERVED_PAGES = ("index", "readme")


def unique_names(
    items: Iterable[K],
    ident: Callable[[K], str | None],
    group: Callable[[K], Hashable] = lambda _: None,
    reserved: tuple[str, ...] = (),
) -> dict[K, str]:
    """A distinct name per item within its group: the slug of its ID, plus 8 hex digits of the
    ID's SHA-256 where slugs would collide (ignoring case) or the slug is ``reserved``."""
    clashes: dict[tuple[Hashable, str], list[K]] = defaultdict(list)
    for item in items:
        clashes[group(item), slug(ident(item)).lower()].append(item)
    names: dict[K, str] = {}
    for (_, key), same in clashes.items():
        for item in same:
            name = slug(ident(item))
            if len(same) > 1 or key in reserved:
                name += "-" + digest(ident(item))
            names[item] = name
    return names


def digest(ident: str | None) -> str:
    """8 hex digits of an ID's SHA-256 (None, no ID, hashes as a NUL)."""
    return hashlib.sha256(("\0" if ident is None else ident).encode()).hexdigest()[:8]


def statement_names(keys: Iterable[StatementKey]) -> dict[StatementKey, str]:
    """``<pi>/<project>`` for each statement, unique within its period."""
    keys = list(keys)
    pis = unique_names({(k[0], k[1]) for k in keys}, lambda k: k[1], group=lambda k: k[0])
    projects = unique_names(set(keys), lambda k: k[2], group=lambda k: (k[0], k[1]))
    return {k: f"{pis[k[0], k[1]]}/{projects[k]}" for k in keys}


def statement_number(period: str, pi_email: str | None, project_id: str | None) -> str:
    """``2026-10-1a2b3c4d``: the same statement always has the same number."""
    text = "\x1f".join((period, pi_email or "", project_id or ""))
    return f"{period}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def page_names(ids: Iterable[str | None]) -> dict[str | None, str]:
    """A site page name per PI email or project ID, unique across the site."""
    ordered = sorted(set(ids), key=lambda i: (i is None, i or ""))
    return unique_names(ordered, lambda i: i, reserved=RESERVED_PAGES)


def pi_page(name: str) -> str:
    """A PI's page, relative to docs/billing/."""
    return f"pis/{name}.md"


def project_page(name: str) -> str:
    """A project's page, relative to docs/billing/."""
    return f"projects/{name}.md"


def page_url(site_url: str, page: str) -> str:
    """Where the site publishes a billing page (``pis/x.md`` → ``.../billing/pis/x/``,
    ``p/<token>/index.md`` → ``.../billing/p/<token>/``)."""
    path = page.removesuffix(".md")
    if path == "index" or path.endswith("/index"):
        path = path.removesuffix("index")
    return f"{site_url.rstrip('/')}/billing/{path.rstrip('/')}/"


def eml_name(pi_email: str) -> str:
    """A PI's message as written by ``send --dry-run``."""
    return f"{slug(pi_email)}.eml"


def alert_eml_name(pi_email: str, budget_name: str, budget_key: str) -> str:
    """A budget alert as written by ``send --dry-run`` (in the period's ``alerts/``): the PI,
    the project or fund/org, and 8 hex digits of the budget's key (one owner may have
    several budgets)."""
    tag = hashlib.sha256(budget_key.encode()).hexdigest()[:8]
    return f"{slug(pi_email)}-{slug(budget_name)}-{tag}.eml"


def attachment_name(period: str, project_id: str | None) -> str:
    """A statement PDF as attached to the PI's email."""
    return f"statement-{period}-{slug(project_id)}.pdf"
