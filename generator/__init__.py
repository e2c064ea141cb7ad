"""OpenChargeback: billing for research computing, kept in git.

A package per pipeline stage, commands above the stages, the command line on top and what
every stage uses below; imports only go down this list (docs/dev/architecture.md):

- ``cli``        declares each command's options and prints what the command returns
- ``commands/``  the core of each command (``build``, ``check``, ``review``, ``send``, ...),
                 returning an ``Output``
- ``deliver/``   statements emailed to each PI exactly once (``email``, ``smtp``)
- ``render/``    statements (Markdown, PDF, CSV), journals, the site; template filters,
                 charts and every file and page name
- ``warehouse/`` DuckDB: ``load.load`` normalizes every FOCUS row, flags it, applies review
                 decisions and corrections, checks finalized periods, rolls up statement lines
- ``read/``      config and registries (``data/``), the repo's layout, FOCUS files, the
                 delivery log, the Slurm and storage converters
- ``common/``    errors, files, git, months, money, SQL files, progress, shipped files

Each stage keeps its SQL in ``.sql`` files in its own ``sql/`` folder.
``skeleton/`` is what ``init`` gives a new billing repository.
"""
