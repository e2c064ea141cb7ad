"""Who sees what on the site (``site.access``), in a browser and behind a real nginx.

Two PIs, Ana Quill and Bo Vexley, share a project; each has one of their own. In ``links``
mode Ana's link shows her name, projects and amounts and nothing of Bo's; nothing reachable
from the public entry points (home, sitemap, search index, 404, robots.txt) shows either; a
new secret ends the old links. In ``sso`` mode nginx, given the access map the build writes
and a stub sign-on, lets each user into their own pages only.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import yaml
from conftest import CONFIG, csv_file, http_server, row, run, site_files, tags

from generator.commands import build
from generator.common.errors import DataError
from generator.read.config import load_config
from generator.render.access import token

SECRET = "a" * 40
OTHER_SECRET = "b" * 40
SITE_URL = "https://billing.test.edu/"
# Bo's is longer than nginx's default map key (64 bytes) with his folder.
ANA, BO = "ana.quill@test.edu", "bo.vexley.of.the.geology.department@test.edu"
# What each PI's pages show and no one else's may: name, email, own project, fund/org,
# amounts (each project's and the total).
ANA_DATA = ("Ana Quill", ANA, "prism-a", "123456-1111", "$111.11", "$144.44")
BO_DATA = ("Bo Vexley", BO, "strata-b", "654321-2222", "$987.65", "$44.44", "$1,032.09")
EVERYONE = ANA_DATA + BO_DATA + ("joint-ab", "$33.33")


def write_repo(root: Path, access: str) -> Path:
    files = {
        "data/config.yaml": CONFIG + yaml.safe_dump({
            "site": {"access": access, "staff": ["staff@test.edu"],
                     "department_heads": {"Optics": "head.optics@test.edu"}},
            "email": {"from": "Billing <billing@test.edu>", "site_url": SITE_URL},
        }),
        "data/people.yaml": yaml.safe_dump({
            ANA: {"name": "Ana Quill", "department": "Optics"},
            BO: {"name": "Bo Vexley", "department": "Geology"},
        }),
        "periods/2026-10/aws.csv": csv_file(
            row(cost="111.11", list_cost="111.11", contracted="111.11", resource="a1",
                tag=tags(ANA, "prism-a", "123456-1111")),
            row(cost="33.33", list_cost="33.33", contracted="33.33", resource="a2",
                tag=tags(ANA, "joint-ab", "123456-1111")),
            row(cost="987.65", list_cost="987.65", contracted="987.65", resource="b1",
                tag=tags(BO, "strata-b", "654321-2222")),
            row(cost="44.44", list_cost="44.44", contracted="44.44", resource="b2",
                tag=tags(BO, "joint-ab", "654321-2222")),
        ),
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    site_files(root)
    with (root / "mkdocs.yml").open("a") as mkdocs:
        mkdocs.write(f"site_url: {SITE_URL}\n")  # so the sitemap lists pages
    return root


def build_with(root: Path, secret: str | None) -> build.BuildResult:
    with pytest.MonkeyPatch.context() as env:
        if secret:
            env.setenv("CHARGEBACK_SITE_SECRET", secret)
        else:
            env.delenv("CHARGEBACK_SITE_SECRET", raising=False)
        return build.build(load_config(root))


def folder(kind: str, key: str, secret: str = SECRET) -> str:
    return f"billing/{kind[0]}/{token(secret, kind, key)}/"


@pytest.fixture(scope="module")
def links_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_repo(tmp_path_factory.mktemp("links") / "repo", "links")
    build_with(root, SECRET)
    return root


def leaks(text: str, data: tuple[str, ...]) -> list[str]:
    return [d for d in data if d in text]


# --- links: a PI's link ----------------------------------------------------------------------


def crawl(chromium: Any, base: str, starts: list[str], inside: str = "") -> dict[str, str]:
    """Every same-site page reachable from ``starts`` by links (after the page's scripts
    ran), staying under ``inside``: page URL -> its text. Other files are fetched too."""
    page = chromium.new_page()
    seen: dict[str, str] = {}
    todo = list(starts)
    while todo:
        url = todo.pop()
        path = urlsplit(url).path
        if url in seen or not url.startswith(base) or not path.startswith("/" + inside):
            continue
        if path.endswith((".css", ".js", ".svg", ".png", ".ico", ".pdf", ".csv", ".json",
                          ".xml", ".txt", ".gz")):
            response = page.request.get(url)
            seen[url] = response.text() if response.ok and not path.endswith(
                (".pdf", ".gz", ".png", ".ico")) else ""
            continue
        response = page.goto(url)
        seen[url] = page.content() if response and response.ok else ""
        for href in page.eval_on_selector_all(
                "a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)"):
            todo.append(urljoin(url, href).split("#")[0])
    page.close()
    return seen


def test_a_pis_link_shows_their_costs_and_nothing_of_anyone_else(chromium, links_site):
    site = links_site / "build" / "site"
    ana = folder("pi", ANA)
    with http_server(site) as base:
        page = chromium.new_page()
        page.goto(base + ana)
        shown = page.inner_text("article")
        assert leaks(shown, ANA_DATA) == list(ANA_DATA)
        assert "joint-ab" in shown and "$33.33" in shown  # her share of the shared project
        assert leaks(shown, BO_DATA) == []
        page.screenshot(path=str(links_site / "ana.png"), full_page=True)
        # Everything her pages link to, followed anywhere on the site.
        reached = crawl(chromium, base, [base + ana])
    private = [u for u in reached if "/billing/" in u]
    assert any("/statements/2026-10/joint-ab.pdf" in u for u in private)
    assert all(f"/{ana}" in u for u in private), private  # no other folder
    for url, text in reached.items():
        assert leaks(text, BO_DATA) == [], url


def test_the_staff_and_department_links(chromium, links_site):
    site = links_site / "build" / "site"
    with http_server(site) as base:
        page = chromium.new_page()
        page.goto(base + folder("staff", ""))
        assert leaks(page.inner_text("article"), ("$1,176.53",)) == ["$1,176.53"]  # total
        page.click("article a:text-is('PIs')")
        assert leaks(page.inner_text("article"), ("Ana Quill", "Bo Vexley")) == [
            "Ana Quill", "Bo Vexley"]
        page.goto(base + folder("department", "Optics"))
        shown = page.inner_text("article")
        assert "Ana Quill" in shown and "$144.44" in shown
        assert leaks(shown, BO_DATA) == []
        page.click("article a:text-is('Ana Quill')")
        assert page.url == base + folder("pi", ANA)
    # Geology has no heads, but its folder is there for the staff to hand out.
    assert (site / folder("department", "Geology") / "index.html").is_file()


def test_nothing_public_shows_a_pi(chromium, links_site):
    """From the home page, the sitemap, the search index, the 404 page and robots.txt, by
    every link: no PI's name, email, project, fund/org or amount, no private folder."""
    site = links_site / "build" / "site"
    with http_server(site) as base:
        sitemap = urllib.request.urlopen(base + "sitemap.xml").read().decode()
        index = json.loads(urllib.request.urlopen(base + "search/search_index.json").read())
        locations = [base + d["location"] for d in index["docs"]]
        listed = [loc.replace(SITE_URL, base) for loc in sitemap.split("<loc>")[1:]]
        listed = [loc.split("</loc>")[0] for loc in listed]
        assert len(listed) > 10 and len(locations) > 10
        reached = crawl(chromium, base, [base, base + "404.html", base + "robots.txt",
                                         base + "sitemap.xml", base + "search/search_index.json",
                                         *listed, *locations])
        page = chromium.new_page()
        page.goto(base)
        page.click("input[data-md-component=search-query]")
        page.locator("input[data-md-component=search-query]").press_sequentially("Quill")
        page.wait_for_function(  # the index loads in a worker: slow on a busy machine
            "() => (document.querySelector('.md-search-result__meta') || {}).innerText"
            " && !document.querySelector('.md-search-result__meta').innerText"
            ".includes('Initializing')", timeout=30000)
        assert "No matching documents" in page.inner_text(".md-search-result")
    assert len(reached) > 20
    assert [u for u in reached if "/billing/" in u] == []
    for url, text in reached.items():
        assert leaks(text, EVERYONE) == [], url
    assert "Find your costs" in reached[base]
    assert "personal link" in reached[base]


def test_every_page_is_noindex_and_sends_no_referrer(links_site):
    site = links_site / "build" / "site"
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        head = page.read_text(encoding="utf-8").split("</head>")[0]
        assert '<meta name="robots" content="noindex, nofollow">' in head, page
        assert '<meta name="referrer" content="no-referrer">' in head, page
    assert "User-agent: *" in (site / "robots.txt").read_text()


def test_a_pi_searches_their_own_pages(chromium, links_site):
    with http_server(links_site / "build" / "site") as base:
        page = chromium.new_page()
        page.goto(base + folder("pi", ANA))
        search = page.locator("input[data-md-component=search-query]")
        search.click()
        search.press_sequentially("prism")
        page.wait_for_selector(".md-search-result__item")
        assert "prism-a" in page.inner_text(".md-search-result")
        search.fill("")
        search.press_sequentially("strata")
        page.wait_for_selector(".md-search-result__meta:text('No matching documents')")


def test_a_new_secret_ends_the_old_links(chromium, links_site, tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(links_site, root)
    build_with(root, OTHER_SECRET)
    with http_server(root / "build" / "site") as base:
        page = chromium.new_page()
        response = page.goto(base + folder("pi", ANA))
        assert response is not None and response.status == 404
        assert leaks(page.content(), EVERYONE) == []
        page.goto(base + folder("pi", ANA, OTHER_SECRET))
        assert "Ana Quill" in page.inner_text("article")


def test_without_the_secret_the_private_pages_are_left_out(tmp_path):
    root = write_repo(tmp_path / "repo", "links")
    result = build_with(root, None)
    assert any("CHARGEBACK_SITE_SECRET is not set" in n for n in result.notes)
    site = root / "build" / "site"
    assert not (site / "billing").exists()
    assert "Find your costs" in (site / "index.html").read_text(encoding="utf-8")
    with pytest.MonkeyPatch.context() as env:
        env.delenv("CHARGEBACK_SITE_SECRET", raising=False)
        code, output = run(root, "links", "-p", "2026-10")
    assert code == 2 and "CHARGEBACK_SITE_SECRET is not set" in output


def test_a_short_secret_is_refused(tmp_path):
    root = write_repo(tmp_path / "repo", "links")
    with pytest.raises(DataError, match="at least 32"):
        build_with(root, "short")


# --- the links command and send ----------------------------------------------------------------


def test_links_lists_each_pis_link(links_site, monkeypatch):
    monkeypatch.setenv("CHARGEBACK_SITE_SECRET", SECRET)
    code, output = run(links_site, "links", "-p", "2026-10")
    assert code == 0, output
    assert output.splitlines() == ["pi_email,url", f"{ANA},{SITE_URL}{folder('pi', ANA)}",
                                   f"{BO},{SITE_URL}{folder('pi', BO)}"]
    code, output = run(links_site, "links", "-p", "2026-10", "--pi", BO.upper(), "-f", "json")
    assert json.loads(output) == [{"pi_email": BO, "url": SITE_URL + folder("pi", BO)}]
    code, output = run(links_site, "links", "--staff")
    assert output.splitlines() == [
        "role,email,url", f"staff,staff@test.edu,{SITE_URL}{folder('staff', '')}",
        f"department: Geology,,{SITE_URL}{folder('department', 'Geology')}",
        f"department: Optics,head.optics@test.edu,{SITE_URL}{folder('department', 'Optics')}"]
    site = links_site / "build" / "site"
    for line in output.splitlines()[1:]:
        assert (site / line.rsplit(SITE_URL, 1)[1] / "index.html").is_file()
    code, output = run(links_site, "links", "-p", "2026-10", "--pi", "nobody@test.edu")
    assert code == 2 and "nobody@test.edu was not billed in 2026-10" in output


def test_send_puts_the_pis_link_in_the_email(links_site, tmp_path, monkeypatch):
    root = tmp_path / "repo"
    shutil.copytree(links_site, root)
    monkeypatch.setenv("CHARGEBACK_SITE_SECRET", SECRET)
    code, output = run(root, "send", "-p", "2026-10", "--dry-run")
    assert code == 0, output
    eml = root / "build" / "emails" / "2026-10" / f"{ANA}.eml"
    message = BytesParser(policy=policy.default).parsebytes(eml.read_bytes())
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert SITE_URL + folder("pi", ANA) in body
        assert folder("pi", BO) not in body
    monkeypatch.delenv("CHARGEBACK_SITE_SECRET")
    code, output = run(root, "send", "-p", "2026-10", "--dry-run")
    assert code == 2 and "CHARGEBACK_SITE_SECRET is not set" in output


# --- sso: the access map, behind nginx ---------------------------------------------------------

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def sso_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_repo(tmp_path_factory.mktemp("sso") / "repo", "sso")
    result = build_with(root, None)
    assert root / "build" / "site-access" / "nginx-http.conf" in result.written
    return root


@pytest.fixture
def nginx(sso_site: Path, tmp_path: Path) -> Iterator[str]:
    """nginx on 127.0.0.1 serving the sso site with the build's access map, as
    docs/admin/site-access.md shows, behind a stub sign-on whose user is the ``test_user``
    cookie (none: 401). Its base URL."""
    if not os.access(NGINX, os.X_OK):
        pytest.skip("needs nginx (apt-get install -y nginx-light; .ci/run installs it)")
    port, sign_on = free_port(), free_port()
    maps = sso_site / "build" / "site-access"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    types {{ text/html html; application/json json; }}
    include {maps}/nginx-http.conf;
    server {{
        listen 127.0.0.1:{port};
        root {sso_site}/build/site;
        location = /_sign-on {{
            internal;
            proxy_pass http://127.0.0.1:{sign_on}/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }}
        location /billing/ {{
            auth_request /_sign-on;
            auth_request_set $openchargeback_user $upstream_http_x_user;
            include {maps}/nginx-billing.conf;
        }}
    }}
    server {{
        listen 127.0.0.1:{sign_on};
        location = /verify {{
            if ($cookie_test_user = "") {{ return 401; }}
            add_header X-User $cookie_test_user;
            return 204;
        }}
    }}
}}
""")
    process = subprocess.Popen([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                                "-g", "daemon off;"], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not listening(port):
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "nginx did not listen in 10 s"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)


def status(url: str, user: str | None) -> int:
    request = urllib.request.Request(url, headers={"Cookie": f"test_user={user}"} if user else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_nginx_lets_each_user_into_their_own_pages(nginx):
    ana, bo = f"billing/pis/{ANA}/", f"billing/pis/{BO}/"
    ana_project = ana + "statements/2026-10/joint-ab.pdf"
    staff, optics = "billing/staff/", "billing/departments/optics/"
    expected = {
        ANA: {ana: 200, ana_project: 200, bo: 403, staff: 403, staff + "pis/": 403,
              optics: 403, ana + "search_index.json": 200, bo + "search_index.json": 403},
        "head.optics@test.edu": {ana: 200, optics: 200, bo: 403, staff: 403},
        "staff@test.edu": {ana: 200, bo: 200, staff: 200, staff + "periods/2026-10/": 200,
                           optics: 200},
        "someone@test.edu": {ana: 403, staff: 403, "": 200},
        None: {ana: 401, staff: 401, "": 200, "statements/": 200},
    }
    got = {user: {page: status(nginx + page, user) for page in pages}
           for user, pages in expected.items()}
    assert got == expected


def test_the_apache_map_names_who_may_open_each_folder(sso_site):
    text = (sso_site / "build" / "site-access" / "apache.conf").read_text()
    assert ('<Location "/billing/pis/ana.quill@test.edu/">\n'
            "    Require user ana.quill@test.edu head.optics@test.edu staff@test.edu\n"
            "</Location>") in text
    assert (f'<Location "/billing/pis/{BO}/">\n'
            f"    Require user {BO} staff@test.edu\n</Location>") in text
    assert '<Location "/billing/staff/">\n    Require user staff@test.edu\n' in text


@pytest.mark.parametrize("mode", ["links", "sso"])
def test_each_folders_search_finds_what_its_audience_may_see(mode, links_site, sso_site):
    """A PI's search index has their page's sections (the PI, each project and statement)
    and nothing of another PI's; a department's its PIs'; the staff's its own pages and the
    first section of each PI's and department's page. No table is in any index."""
    site = (links_site if mode == "links" else sso_site) / "build" / "site"
    if mode == "links":
        ana, staff, optics = folder("pi", ANA), folder("staff", ""), folder("department", "Optics")
    else:
        ana, staff, optics = f"billing/pis/{ANA}/", "billing/staff/", "billing/departments/optics/"

    def index(where: str) -> str:
        return (site / where / "search_index.json").read_text(encoding="utf-8")

    def titles(where: str) -> list[str]:
        return [d["title"] for d in json.loads(index(where))["docs"]]

    assert titles(ana) == ["Ana Quill", "Trend", "Projects", "Statements", "Project joint-ab",
                           "October 2026", "Project prism-a", "October 2026"]
    assert "123456-1111" in index(ana) and "$111.11" in index(ana)  # fund/org, amount due
    assert leaks(index(ana), BO_DATA) == []
    assert "Ana Quill" in titles(optics) and "Bo Vexley" not in titles(optics)
    assert {"Ana Quill", "Bo Vexley", "Optics", "Geology", "Project joint-ab",
            "Project prism-a", "Project strata-b"} <= set(titles(staff))
    assert "Statements" not in titles(staff)  # a PI's page's first section only
    for where in (ana, staff, optics):
        assert "<table" not in index(where) and "<td" not in index(where)


def test_a_new_repository_is_private_by_default(tmp_path):
    from generator.commands import init

    init.init(tmp_path / "billing")
    site = load_config(tmp_path / "billing").site
    assert (site.access, site.secret_env) == ("links", "CHARGEBACK_SITE_SECRET")
