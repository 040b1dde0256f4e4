"""CSV cells a spreadsheet will not run (plain Python).

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return, which some spreadsheets skip before reading one) is taken as a
formula when the file is opened: text typed by a person (an organisation's
name, a patient's name) could then run as one ("CSV injection"). Such a cell
is written with a leading apostrophe, which spreadsheets show as text and
hide. Every CSV the service writes for people to open goes through here.
"""

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> str:
    """``value`` as a CSV cell: blank for None, ``true``/``false`` for a
    boolean, and a leading apostrophe before anything that starts like a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
