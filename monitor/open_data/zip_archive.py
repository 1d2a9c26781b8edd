"""The catalog folder, every version, as a ZIP archive (/open-data/catalog.zip)."""
from __future__ import annotations

import io
import zipfile

from services_catalog import Catalog
from services_catalog.exporter import catalog_files

# A fixed time stamp for every ZIP member, so the archive of one catalog is always the same bytes.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def catalog_zip(catalog: Catalog) -> bytes:
    """The catalog folder (documents.yaml, services/<code>.yaml, every version) as a ZIP archive.

    Written by ``export_catalog``, so unzipping it gives a folder ``load_catalog`` reads back.
    Members are sorted and carry a fixed time stamp: the same catalog gives the same bytes.
    """
    members = catalog_files(catalog)  # built in memory; no service code is ever a path
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, members[name].encode("utf-8"))
    return buffer.getvalue()

