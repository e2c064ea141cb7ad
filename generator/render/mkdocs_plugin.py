"""The site's MkDocs plugin, ``openchargeback`` in ``mkdocs.yml`` (after ``search``).

It keeps what the build publishes to what its access mode allows, and the text of the pages
safe in the places MkDocs and the theme put it:

- every page, the 404 page too, is marked ``noindex`` and sends no ``Referer`` (a private
  page's address never reaches another site); ``robots.txt`` says so to crawlers;
- the navigation leaves out generated pages that this build did not write (a private site
  has no public list of periods, PIs or projects);
- a page marked private by the generator (``openchargeback: {private: <folder>, sees:
  [...], finds: [...]}`` in its front matter, see ``site.SitePages.private_page``) is left
  out of ``sitemap.xml`` and of the public search index; each private folder gets a search
  index of its own, which its pages load: every section of the pages in the folders it
  ``sees``, and the first section of the pages it ``finds`` (their URLs);
- a page's ``<title>``: MkDocs' page title is HTML (escaped text) and Material prints it
  through ``striptags``, which unescapes it, so a name like ``</title><script>`` would run.
  Given as the page's meta title it is printed as it is: escaped;
- a table that the search index leaves out (in a ``<div data-search-exclude>`` of its own, as
  the site's templates write every table) is taken out of the page while the search plugin
  reads it, and put back after: the plugin's HTML parser would walk thousands of statement
  tables only to skip them (half of MkDocs' time on a large site).
"""

from __future__ import annotations

import html
import json
import posixpath
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority

HEAD = ('<meta name="robots" content="noindex, nofollow">'
        '<meta name="referrer" content="no-referrer">')
ROBOTS = """\
# Every page of this site is marked noindex. Crawling is not refused on purpose: a crawler
# refused a page never reads its noindex, and may list a page's address that it found
# elsewhere; a private page's address is its key.
User-agent: *
Disallow:
"""
# On a private page, the theme's request for the search index asks for the folder's own.
SEARCH = ('<script>(()=>{{const own=new URL({index},location).href,'
          'open=XMLHttpRequest.prototype.open;XMLHttpRequest.prototype.open=function(m,u,...a)'
          '{{return open.call(this,m,/\\/search\\/search_index\\.json$/.test(String(u))?own:u,'
          '...a)}}}})()</script>')
URL_ENTRY = re.compile(r"\s*<url>\s*<loc>(.*?)</loc>.*?</url>", re.S)
# A table out of the search index: alone in a <div data-search-exclude> (tables do not nest
# here, and a "</table>" in a cell's text is escaped).
UNSEARCHED = re.compile(r"<div\b[^>]*\sdata-search-exclude\b[^>]*>\s*<table>.*?</table>\s*</div>",
                        re.S)
PUT_BACK = "<!-- openchargeback: a table out of the search index -->"


class SitePlugin(BasePlugin):  # type: ignore[type-arg]
    def on_config(self, config: Any) -> Any:
        self.private: dict[str, str] = {}  # page URL -> its folder (from the site's root)
        self.locations: set[str] = set()  # the sitemap's <loc> of private pages
        self.sees: dict[str, set[str]] = {}  # folder -> the folders its search finds
        self.finds: dict[str, set[str]] = {}  # folder -> pages whose first section it finds
        if config.nav:
            config.nav = written_nav(config.nav, Path(config.docs_dir))
        return config

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any) -> str:
        meta = page.meta.get("openchargeback")
        if isinstance(meta, dict) and meta.get("private"):
            folder = str(meta["private"])
            self.private[page.url] = folder
            self.locations.add(page.canonical_url or page.abs_url or page.url)
            self.sees.setdefault(folder, set()).update(meta.get("sees") or [folder])
            self.finds.setdefault(folder, set()).update(meta.get("finds") or [])
        return markdown

    @event_priority(50)  # before the search plugin reads the page
    def _before_search(self, context: Any, page: Any, config: Any, nav: Any) -> Any:
        if page.title and not page.is_homepage and "title" not in page.meta:
            page.meta["title"] = page.title  # HTML already; see the module's doc
        self.unsearched: list[str] = UNSEARCHED.findall(page.content or "")
        if self.unsearched:
            page.content = UNSEARCHED.sub(PUT_BACK, page.content)
        return context

    @event_priority(-50)  # after it
    def _after_search(self, context: Any, page: Any, config: Any, nav: Any) -> Any:
        if self.unsearched:
            tables = iter(self.unsearched)
            page.content = re.sub(re.escape(PUT_BACK), lambda _: next(tables), page.content)
        return context

    on_page_context = CombinedEvent(_before_search, _after_search)

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        head = HEAD
        folder = self.private.get(page.url)
        if folder:
            here = page.url if page.url.endswith("/") else posixpath.dirname(page.url) + "/"
            index = posixpath.relpath(folder, here or ".") + "/search_index.json"
            head += SEARCH.format(index=json.dumps(index).replace("<", "\\u003c"))
        return output.replace("<head>", "<head>" + head, 1)

    def on_post_template(self, output_content: str, template_name: str,
                         config: Any) -> str:
        if template_name == "sitemap.xml":
            return URL_ENTRY.sub(
                lambda m: "" if html.unescape(m.group(1)) in self.locations else m.group(0),
                output_content)
        if template_name.endswith(".html"):
            return output_content.replace("<head>", "<head>" + HEAD, 1)
        return output_content

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, config: Any) -> None:
        site = Path(config.site_dir)
        if not (Path(config.docs_dir) / "robots.txt").is_file():
            (site / "robots.txt").write_text(ROBOTS, encoding="utf-8")
        index_file = site / "search" / "search_index.json"
        if not self.private or not index_file.is_file():
            return
        index = json.loads(index_file.read_text(encoding="utf-8"))
        docs = index["docs"]
        public = [d for d in docs if d["location"].split("#")[0] not in self.private]
        index_file.write_text(json.dumps({**index, "docs": public}), encoding="utf-8")
        for folder, sees in self.sees.items():
            prefixes, finds = tuple(sees), self.finds[folder]
            own = [d for d in docs if (at := unquote(d["location"])).startswith(prefixes)
                   or at in finds]  # a location is a URL: billing/pis/kim%40x.edu/
            (site / folder / "search_index.json").write_text(
                json.dumps({**index, "docs": own}), encoding="utf-8")


def written_nav(nav: list[Any], docs: Path) -> list[Any]:
    """The navigation without the generated billing pages (``billing/``) that are not
    there; a section left empty goes too."""
    kept: list[Any] = []
    for item in nav:
        title, target = next(iter(item.items())) if isinstance(item, dict) else (None, item)
        if isinstance(target, list):
            target = written_nav(target, docs)
            if not target:
                continue
        elif (isinstance(target, str) and target.startswith("billing/")
              and not (docs / target).is_file()):
            continue
        kept.append({title: target} if title is not None else target)
    return kept
