"""The referral list as a CSV file: the same search and filters as the list
shown, every matching row (not only the page), by POST.

The download is recorded in the access log (``page.referral_list.export``)
with every referral and patient in it, before it is answered. The file
carries NHS numbers and names, as the list does: the user asked for it and
the access log names it. Its name carries no identifier, and every cell
that starts like a formula is neutralised (``core.csv_cells``).

Columns: ``reference``, ``received_at`` (UK time, ISO 8601 with its
offset), ``category`` and ``status`` (codes, as the API and the historic
export write them), ``clock`` (the most urgent running clock's kind),
``clock_urgency`` (``overdue``, ``due_soon``, ``comfortable``),
``clock_due_at``, then ``nhs_number``, ``family_name`` and ``given_name`` as
this user is shown them (a referrer: as their referral sent them).
"""

import csv
import io
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coordinator import services
from coordinator.forms.referral_search import search_form
from coordinator.referral_search import most_urgent_clocks, referral_search
from coordinator.views.common import PageRequest, page
from coordinator.views.referral_list import refused
from core.csv_cells import spreadsheet_safe
from referrals.selectors import patient_shown_to

EXPORT_COLUMNS = (
    "reference",
    "received_at",
    "category",
    "status",
    "clock",
    "clock_urgency",
    "clock_due_at",
    "nhs_number",
    "family_name",
    "given_name",
)
# Rows read from the database at a time (each batch: its referrals, then
# their clocks): memory stays flat however long the list.
EXPORT_BATCH = 1000


def uk_iso(value: datetime | None) -> str:
    """An instant as UK local time, ISO 8601 with its offset (+00:00 or +01:00)."""
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


@page("referral_export")
@require_POST
def referral_export(request: PageRequest) -> HttpResponse:
    form = search_form(request.POST, text_allowed=True)
    if form.search is None:
        return refused(request, form)
    now = timezone.now()
    referrals = list(
        referral_search(user=request.user, search=form.search, now=now).iterator(
            chunk_size=EXPORT_BATCH
        )
    )
    clocks = most_urgent_clocks(referrals, now)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for referral in referrals:
        patient = patient_shown_to(request.user, referral)
        clock = clocks.get(referral.pk)
        row = (
            referral.reference,
            uk_iso(referral.received_at),
            referral.category,
            referral.status,
            clock.kind.value if clock else "",
            clock.urgency.value if clock else "",
            uk_iso(clock.due_at) if clock else "",
            patient.nhs_number,
            patient.family_name,
            patient.given_name,
        )
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    # Recorded before it is answered, whatever it held; an empty list shows nobody.
    services.access_record(
        user=request.user,
        view="page.referral_list.export",
        path=request.get_full_path(),
        referral_ids=[r.pk for r in referrals],
        patient_ids=dict.fromkeys(r.patient_id for r in referrals),
    )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(now).strftime("%Y-%m-%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="referrals-{stamp}.csv"'
    # Patient data: never kept by a browser's or a proxy's cache.
    response["Cache-Control"] = "no-store"
    return response
