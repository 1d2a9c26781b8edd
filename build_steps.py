"""Build steps of the package (setup.cfg, ``[options] cmdclass``).

``pip install .`` and a wheel must carry what a checkout gets from ``make translations``
and the repository folders: the compiled message catalogs (.mo, from monitor/translations),
and the templates and static files (copied to monitor/site_files/, where an installed app
finds them). Without this an installed app would serve English only (issue 14).
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithSite(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable checkout serves the repository's own folders
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        package = Path(self.build_lib) / "monitor"
        for po_path in sorted((HERE / "monitor" / "translations").glob("*/LC_MESSAGES/messages.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parent.parent.name)
            target = package / po_path.relative_to(HERE / "monitor").with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as mo_file:
                write_mo(mo_file, catalog)
        for folder in ("templates", "static"):
            destination = package / "site_files" / folder
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(HERE / folder, destination)
