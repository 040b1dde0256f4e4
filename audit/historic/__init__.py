"""Historic referrals in and out as CSV (``manage.py import_referrals`` and
``export_referrals``): the format (``columns.py``), reading and checking a
file (``reading.py``), the import through the live services
(``importing.py``) and the export (``exporting.py``)."""
