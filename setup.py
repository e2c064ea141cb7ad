"""Build hook: put what ``openchargeback init`` copies into the package, so a wheel has it.

The skeleton (``generator/skeleton/``, with dotfiles) and the shipped files at the top of
this repository (``generator.scaffold.SHIPPED``: site templates, mkdocs.yml, docs,
workflows) are copied into ``generator/skeleton/`` and ``generator/shipped/`` of the build.
Everything else about the package is in pyproject.toml.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generator.scaffold import NOT_SHIPPED, SHIPPED  # noqa: E402  (stdlib only)

IGNORE = shutil.ignore_patterns(*NOT_SHIPPED)


class BuildWithScaffold(build_py):
    def run(self) -> None:
        super().run()
        package = Path(self.build_lib) / "generator"
        shutil.copytree(HERE / "generator" / "skeleton", package / "skeleton",
                        dirs_exist_ok=True)
        for name in SHIPPED:
            source, target = HERE / name, package / "shipped" / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=IGNORE, dirs_exist_ok=True)
            elif source.is_file():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)


setup(cmdclass={"build_py": BuildWithScaffold})
