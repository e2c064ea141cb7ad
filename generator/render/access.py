"""Who sees which billing pages of the site: ``site.access`` in data/config.yaml.

- ``open``: every billing page for everyone who can open the site (``billing/pis/...``).
- ``links``: each audience's pages in a folder of its own, named by an unguessable token:
  ``billing/p/<token>/`` for a PI, ``billing/d/<token>/`` for a department's heads,
  ``billing/s/<token>/`` for the billing staff. A token is HMAC-SHA256 of the audience, keyed
  with a secret from an environment variable (``site.secret_env``): the same secret gives the
  same links on every build, another secret other links. Without the secret no private page
  is written.
- ``sso``: the same folders with readable names (``billing/pis/<pi>/``,
  ``billing/departments/<department>/``, ``billing/staff/``), and an access map for the web
  server in front (``write_maps``), whose sign-on tells it who the user is.

Nothing outside these folders names a PI or shows a PI's project or amount (the public home
page says how to get to one's own pages). docs/admin/site-access.md has the threat model.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.common.errors import DataError, Problem, UsageError
from generator.common.files import atomic_write, slug
from generator.read.config import Config
from generator.render.naming import page_names, unique_names

MIN_SECRET = 32  # characters; `openssl rand -hex 32` gives 64
# What an access map may name as a user: a plain address, nothing a web server's config
# language or a regular expression would read as syntax.
PLAIN_USER = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+")


@dataclass(frozen=True)
class Area:
    """A folder of private pages and the audience it is for."""

    kind: str  # "pi", "department" or "staff"
    key: str  # the PI's email in lower case ("" for no PI), the department, "" for staff
    folder: str  # relative to docs/billing/, ending in "/"


@dataclass
class Access:
    """The site's access mode and, outside ``open``, each audience's folder."""

    mode: str
    staff: Area | None = None  # None: open, or no secret (nothing private is written)
    pis: dict[str, Area] = field(default_factory=dict)  # by lower-case email ("" no PI)
    departments: dict[str, Area] = field(default_factory=dict)
    members: dict[str, list[str]] = field(default_factory=dict)  # department -> PI keys
    missing_secret: str | None = None  # the variable that was not set (links)

    @property
    def private(self) -> bool:
        return self.mode != "open"

    def pi(self, email: str | None) -> Area:
        return self.pis[pi_key(email)]


def pi_key(email: str | None) -> str:
    """A PI as the private site groups them: the email in lower case ("" for no PI)."""
    return (email or "").lower()


def secret(cfg: Config) -> str | None:
    """The secret the links are derived from, from the environment; None when unset."""
    value = os.environ.get(cfg.site.secret_env, "")
    if not value:
        return None
    if len(value) < MIN_SECRET:
        raise DataError([Problem(
            f"${cfg.site.secret_env}",
            f"the site secret has {len(value)} characters; use at least {MIN_SECRET}, e.g. "
            "`openssl rand -hex 32` (see docs/admin/site-access.md)")])
    return value


def token(key: str, kind: str, audience: str) -> str:
    """32 hex digits (128 bits) of HMAC-SHA256 over the audience, keyed with the secret."""
    message = f"openchargeback-site\0{kind}\0{audience}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def plan(cfg: Config, pi_emails: Iterable[str | None]) -> Access:
    """Each audience's folder for the PIs billed (``pi_emails``) and their departments."""
    mode = cfg.site.access
    if mode == "open":
        return Access(mode)
    keys = sorted({pi_key(e) for e in pi_emails})
    members: dict[str, list[str]] = {}
    for key in keys:
        person = cfg.people.get(key)
        if person and person.department:
            members.setdefault(person.department, []).append(key)
    access = Access(mode, members=members)
    if mode == "links":
        found = secret(cfg)
        if found is None:
            access.missing_secret = cfg.site.secret_env
            return access
        access.staff = Area("staff", "", f"s/{token(found, 'staff', '')}/")
        access.pis = {k: Area("pi", k, f"p/{token(found, 'pi', k)}/") for k in keys}
        access.departments = {d: Area("department", d, f"d/{token(found, 'department', d)}/")
                              for d in members}
        return access
    access.staff = Area("staff", "", "staff/")
    names = page_names(k or None for k in keys)
    access.pis = {k: Area("pi", k, f"pis/{names[k or None].lower()}/") for k in keys}
    folders = unique_names(sorted(members), lambda d: d.lower())
    access.departments = {d: Area("department", d, f"departments/{slug(folders[d]).lower()}/")
                          for d in members}
    return access


def site_url(cfg: Config) -> str | None:
    """Where the site is published (``email.site_url``), for links in emails and ``links``."""
    email = cfg.raw.get("email")
    url = email.get("site_url") if isinstance(email, dict) else None
    return str(url) if url else None


def require(access: Access) -> None:
    """Stop with what to do when the links cannot be made (no secret)."""
    if access.missing_secret:
        raise UsageError(
            f"site.access is links and ${access.missing_secret} is not set: the private links "
            "are derived from it; set it to the secret the site is built with (see "
            "docs/admin/site-access.md)")


# --- access maps for the web server (sso) ------------------------------------------------------


def readers(cfg: Config, access: Access) -> dict[str, list[str]]:
    """Who may open each private folder (``/billing/<folder>``): users by sign-on email."""
    heads = cfg.site.department_heads
    staff = list(cfg.site.staff)
    allowed: dict[str, list[str]] = {}
    if access.staff:
        allowed[access.staff.folder] = staff
    for name, area in access.departments.items():
        allowed[area.folder] = [*heads.get(name, ()), *staff]
    department = {k: d for d, keys in access.members.items() for k in keys}
    for key, area in access.pis.items():
        own = [key] if key else []
        allowed[area.folder] = [*own, *heads.get(department.get(key, ""), ()), *staff]
    return {folder: sorted(set(users), key=users.index) for folder, users in allowed.items()}


def write_maps(cfg: Config, access: Access, out: Path) -> tuple[list[Path], list[str]]:
    """The nginx and Apache access maps into ``out``; returns the files and notes (users the
    maps leave out)."""
    allowed = readers(cfg, access)
    notes = sorted({f"site: {u!r} is not a plain address; the access maps leave it out "
                    "(staff can still see its pages)"
                    for users in allowed.values() for u in users if not PLAIN_USER.fullmatch(u)})
    allowed = {f: [u for u in users if PLAIN_USER.fullmatch(u)] for f, users in allowed.items()}
    files = {
        "nginx-http.conf": nginx_maps(allowed, list(cfg.site.staff)),
        "nginx-billing.conf": NGINX_LOCATION,
        "apache.conf": apache_config(allowed),
    }
    written = []
    for name, text in files.items():
        atomic_write(out / name, text.encode("utf-8"))
        written.append(out / name)
    return written, notes


NGINX_HEADER = """\
# Written by `openchargeback build` (site.access: sso); do not edit, it is rebuilt.
# Include in nginx's http {} block. The user is the email your sign-on asserts, in
# $openchargeback_user (set it in the location of /billing/; see nginx-billing.conf and
# docs/admin/site-access.md). 1 in $openchargeback_allowed lets the user open the page.
"""

NGINX_LOCATION = """\
# Written by `openchargeback build` (site.access: sso). Include it in `location /billing/`
# after the sign-on that sets $openchargeback_user, e.g.
#   auth_request /sign-on; auth_request_set $openchargeback_user $upstream_http_x_user;
# or, behind a proxy that sets the header and drops any a client sent:
#   set $openchargeback_user $http_x_remote_user;
# The decision is taken when the file is looked up (after auth_request has run); a user
# who may not open the page gets 403.
try_files $openchargeback_root$uri $openchargeback_root$uri/ =403;
"""


def nginx_maps(allowed: dict[str, list[str]], staff: list[str]) -> str:
    keys = [f"{user} {folder}" for folder, users in allowed.items() for user in users]
    longest = max((len(k) for k in keys), default=0)
    lines = [NGINX_HEADER,
             "# Room for every \"<user> <folder>\" below (nginx's defaults hold keys of 64",
             "# bytes and 2048 of them; set these here only).",
             f"map_hash_bucket_size {max(64, 1 << (longest + 8).bit_length())};",
             f"map_hash_max_size {max(2048, 2 * len(keys))};",
             "",
             "# Which folder a page is in: \"\" for public pages.",
             "map $uri $openchargeback_folder {",
             "    default \"\";",
             "    \"~^/billing/(?<openchargeback_f>(?:p|d|s|pis|departments)/[^/]+/|staff/)\""
             " $openchargeback_f;",
             "    \"~^/billing/\" \"(none)\";",
             "}",
             "",
             "# \"<user> <folder>\" -> 1 when the user may open the folder.",
             "map \"$openchargeback_user $openchargeback_folder\" $openchargeback_allowed {",
             "    default 0;",
             "    \"~^[^ ]* $\" 1;"]
    lines += [f"    \"~^{re.escape(user)} \" 1;" for user in staff if PLAIN_USER.fullmatch(user)]
    staff_set = set(staff)
    for folder, users in sorted(allowed.items()):
        lines += [f"    \"{user} {folder}\" 1;" for user in users if user not in staff_set]
    lines += ["}",
              "",
              "# A path that does not exist, for a page the user may not open.",
              "map $openchargeback_allowed $openchargeback_root {",
              "    1 \"\";",
              "    default \"/.openchargeback-forbidden\";",
              "}",
              ""]
    return "\n".join(lines)


def apache_config(allowed: dict[str, list[str]]) -> str:
    lines = [
        "# Written by `openchargeback build` (site.access: sso); do not edit, it is rebuilt.",
        "# Include in the <VirtualHost> after the sign-on module's setup for /billing/",
        "# (AuthType ...), so that REMOTE_USER is the user's email.",
        "<Location \"/billing/\">",
        "    Require all denied",
        "</Location>",
    ]
    for folder, users in sorted(allowed.items()):
        lines += [f"<Location \"/billing/{folder}\">",
                  f"    Require user {' '.join(users)}" if users else "    Require all denied",
                  "</Location>"]
    return "\n".join(lines) + "\n"
