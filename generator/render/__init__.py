"""Stage 3, render: what the warehouse's numbers become for people: statements (Markdown, PDF,
CSV), general-ledger journals, the static site, with the template filters, charts and every
file and page name (``naming``). Who may see which site page is ``access``'s (the audiences'
folders, the secret's links, the web server's access maps); ``mkdocs_plugin`` keeps the
built site to it."""
