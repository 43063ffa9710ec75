"""camfleet.inventory: the database (the only user of SQLModel/SQLAlchemy/Alembic) and inventory files.

- ``files``: read/write CSV and XLSX inventory files (encodings, Chinese headers)
- ``validate``: file rows → ``PointRecord``/``CameraRecord``, every problem with row and column
- ``diff`` / ``importer``: plan and apply an import in one transaction; export
- ``tables`` / ``migrations``: the schema; ``db``: engines, schema checks, ``upgrade``
- ``store``: ``Store(url)``, the API the runtime, metrics and coverage use
- ``approvals``: which cameras await a person's review, and storing an approval (CLI and /review share it)
"""
