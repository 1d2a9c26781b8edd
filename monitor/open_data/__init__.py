"""Open data: the catalog and the published indicators as documents anyone may reuse, one
module per format: json_documents (the catalog, a service, the service list, the indicators),
csv_tables (the catalog, the indicators), zip_archive (the catalog folder), jsonld (CPSV-AP 3
and the scm: vocabulary), openapi (the description of every /api and /open-data endpoint).

Plain functions, no Flask and no database: each takes the catalog (the value objects of
``services_catalog``) or the published snapshots (a DataFrame as ``publishing.snapshots``
returns it) and gives back a dict, a CSV text or ZIP bytes. The views serialise them and
add caching; docs/open-data.md describes every document.

Every document is a pure function of its inputs, so the same catalog on the same day
gives byte-identical output, and the ETag computed from the body stays the same
(``canonical``: one order of services and snapshots, one form of their times and values).
"""
