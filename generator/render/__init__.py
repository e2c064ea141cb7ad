"""Stage 3, render: what the warehouse's numbers become for people: statements (Markdown, PDF,
CSV), general-ledger journals, the static site, with the template filters, charts and every
file and page name (``naming``)."""
