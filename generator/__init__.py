"""OpenChargeback: billing for research computing, kept in git.

The pipeline, one module per stage, run in order by ``loader.load``:

1. ``config``   load data/config.yaml, people.yaml, projects.yaml
2. ``focus``    read each FOCUS file of periods/YYYY-MM/ into DuckDB (rejected whole if bad)
3. ``sql/normalize.sql``  one normalized row per input row, with charge IDs and attribution
4. ``flags``    flag what needs a person's decision
5. ``reviews``  apply reviews/YYYY-MM.yaml (and reviews/YYYY-MM/<department>.yaml)
6. ``sql/statement_lines.sql``  roll up billed charges into rounded statement lines

Render stages, run by ``build`` over the warehouse (templates from ``site_templates/``,
filters in ``template_filters``):

- ``journal``  balanced general-ledger entries (gl), detail and summary per period
- ``statements``  a statement per PI, project and period: Markdown, PDF and CSV

Beside the stages: ``periods`` (open → closed → finalized, with hash checks run by the
loader), ``corrections`` (``correct``: rows in periods/<later>/corrections/<source>.csv, and
their checks), ``diff`` (``check --base``: the billing diff of a pull request) and
``scaffold`` (``init``: a new billing repository).

Commands (``cli``) are thin: ``ingest``, ``review``, ``check``, ``show``, ``build``,
``export-journal`` and ``generate`` call one core function each (``ingest``, ``reviews``,
``check``, ``report``, ``journal``, ``statements``).
"""
