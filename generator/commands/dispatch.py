"""One way to run a command: by name, with the options the command line parsed.

``run("ingest.run", options)`` imports ``generator.commands.ingest``, loads the config when
the options name a repository (``repo``, ``config_file``), calls ``run`` with the options its
signature takes and returns its ``Output``. A ``ChargebackError`` becomes output too: its
problems, one a line, and its exit code. So the command line only declares options and
prints.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from generator.commands.output import Output, problem_lines
from generator.common.errors import ChargebackError, DataError, Problem


def run(target: str, options: dict[str, Any]) -> Output:
    module, _, function = target.partition(".")
    command = getattr(importlib.import_module(f"generator.commands.{module}"), function)
    try:
        if "config_file" in options:
            from generator.read.config import load_config

            options = {**options, "cfg": load_config(options["repo"], options["config_file"])}
        wanted = inspect.signature(command).parameters
        output: Output = command(**{k: v for k, v in options.items() if k in wanted})
    except ChargebackError as exc:
        problems = exc.problems if isinstance(exc, DataError) else [Problem("", str(exc))]
        output = problem_lines(problems)
        output.exit_code = exc.exit_code
    return output
