"""One way to run a command: by name, with the options the command line parsed.

``run("ingest.run", options)`` imports ``generator.commands.ingest``, loads the config when
the options name a repository (``repo``, ``config_file``), calls ``run`` with the options its
signature takes and returns its ``Output``. A ``ChargebackError`` becomes output too: its
problems, one a line, and its exit code; so does an ``OSError`` (a file the system will not
let it read or write), as one line naming the file. So the command line only declares options and
prints.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from generator.commands.output import Output, failure
from generator.common.errors import ChargebackError


def run(target: str, options: dict[str, Any]) -> Output:
    module, _, function = target.partition(".")
    command = getattr(importlib.import_module(f"generator.commands.{module}"), function)
    try:
        if "config_file" in options:
            from generator.read.config import load_config

            options = {**options, "cfg": load_config(options["repo"], options["config_file"])}
        wanted = inspect.signature(command).parameters
        output: Output = command(**{k: v for k, v in options.items() if k in wanted})
    except (ChargebackError, OSError) as exc:  # OSError: a file that cannot be read or written
        output = failure(exc)
    return output
