"""Build hook: put what ``openchargeback init`` copies into the package, so a wheel has it.

The skeleton (``generator/skeleton/``, with dotfiles) and the shipped files at the top of
this repository (``generator.common.shipped.SHIPPED``: site templates, mkdocs.yml, docs,
workflows) are copied into ``generator/skeleton/`` and ``generator/shipped/`` of the build.
Everything else about the package is in pyproject.toml.

setuptools builds in ``build/`` by default, which in this repository is where the billing
outputs go; it builds in a temporary folder instead, removed when the build is done.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generator.common.shipped import copy_shipped  # noqa: E402  (stdlib only)


class BuildWithScaffold(build_py):
    def run(self) -> None:
        super().run()
        package = Path(self.build_lib) / "generator"
        shutil.copytree(HERE / "generator" / "skeleton", package / "skeleton",
                        dirs_exist_ok=True)
        copy_shipped(HERE, package / "shipped")


BUILD = tempfile.mkdtemp(prefix="openchargeback-setup-")
atexit.register(shutil.rmtree, BUILD, True)
setup(cmdclass={"build_py": BuildWithScaffold}, options={"build": {"build_base": BUILD}})
