"""``links -p YYYY-MM [--pi EMAIL]``: each PI's personal link to their pages on the site, as
``send`` puts it in their email; ``links --staff``: the staff's link and each department's.

In ``links`` mode a link is made from the secret (``site.secret_env``), so this needs the
secret the site was built with; in ``sso`` mode it is the page the PI signs in to; in
``open`` mode the PI's public page. See docs/admin/site-access.md.
"""

from __future__ import annotations

import csv
import io
import json

from generator.commands.output import Output
from generator.common.errors import DataError, UsageError
from generator.common.sql import Scripts
from generator.read.config import Config
from generator.render import site
from generator.render.access import require, site_url
from generator.render.filters import neutralize
from generator.render.naming import page_url
from generator.warehouse import load as loader

SQL = Scripts.beside(__file__)


def pi_links(cfg: Config, period: str, pi: str | None) -> list[dict[str, str]]:
    """``pi_email`` and ``url`` of each PI billed in ``period`` (or only ``pi``)."""
    wh = loader.load(cfg)
    if wh.problems:
        raise DataError(wh.problems)
    if period not in wh.periods:
        raise UsageError(f"no period {period} in periods/; see `openchargeback periods list`")
    pages = site.pi_links(wh)
    billed = [r["pi_email"] for r in SQL.query(wh.con, "links_pis", period=period)]
    if pi is not None:
        if pi.strip().lower() not in billed:
            raise UsageError(f"{pi} was not billed in {period}; check the email "
                             "(`openchargeback show EMAIL`)")
        billed = [pi.strip().lower()]
    base = site_url(cfg) or ""
    return [{"pi_email": email, "url": page_url(base, pages[email])} for email in billed]


def staff_links(cfg: Config) -> list[dict[str, str]]:
    """``role``, ``email`` and ``url``: the staff's link for each of ``site.staff``, each
    department's for its heads (a department without heads: one row, no email)."""
    wh = loader.load(cfg)
    if wh.problems:
        raise DataError(wh.problems)
    access = site.plan_access(wh)
    require(access)
    if access.staff is None:
        raise UsageError("site.access is open: every page is public; there are no staff or "
                         "department links")
    base = site_url(cfg) or ""
    rows = [{"role": "staff", "email": email, "url": page_url(base, access.staff.folder)}
            for email in cfg.site.staff or [""]]
    for name, area in sorted(access.departments.items()):
        rows += [{"role": f"department: {name}", "email": email,
                  "url": page_url(base, area.folder)}
                 for email in cfg.site.department_heads.get(name) or [""]]
    return rows


def main(cfg: Config, period: str | None, pi: str | None, staff: bool, fmt: str) -> Output:
    if staff == (period is not None):
        raise UsageError("give -p YYYY-MM for the PIs billed that month, or --staff for the "
                         "staff's and departments' links")
    rows = staff_links(cfg) if staff else pi_links(cfg, period or "", pi)
    output = Output()
    if not site_url(cfg):
        output.warn("note: email.site_url is not set; the links are paths on the site")
    if fmt == "json":
        output.say(json.dumps(rows, indent=2))
        return output
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    columns = ["role", "email", "url"] if staff else ["pi_email", "url"]
    writer.writerow(columns)
    writer.writerows([neutralize(r[c]) for c in columns] for r in rows)
    output.say(text.getvalue().removesuffix("\n"))
    return output
