"""The audit dashboard page (/audit/) and its CSV (/audit/summary.csv):
who may open them and for what scope, the filters, a bad filter named beside
its input (a 400 page, never a 500), the figures and the SPC words, a
suppressed figure shown as suppressed (never 0), and no patient identifier
anywhere."""

import csv
import io
import re
from typing import Any

import pytest
from django.test import Client

from audit import views as audit_views
from audit.charts import MONTH_NAMES
from audit.spc import SpcRules
from audit.summary_csv import COLUMNS
from tests.audit.data import FAMILY_NAME, Made, audit_referrals
from tests.page_helpers import field_block, fragment, html, signed_in, text

# Two months of seven referrals around one of two: the small month is suppressed
# (and, by the secondary rule, one other with it).
PLAN = ((7, 0), (2, 0), (7, 0))


@pytest.fixture
def made(world: Any, make_referral: Any) -> Made:
    world.alliance.population = 1_200_000
    world.alliance.save()
    return audit_referrals(world, make_referral, PLAN)


def period(made: Made, **more: str) -> dict[str, str]:
    return {"from": made.first.label, "to": made.last.label, **more}


def cells_of(row: str) -> list[str]:
    return [text(cell) for cell in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.S)]


def row_of(table: str, heading: str) -> list[str]:
    """The cells (as read) of the table row headed ``heading``."""
    for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", table, re.S):
        cells = cells_of(row)
        if cells and cells[0] == heading:
            return cells[1:]
    raise AssertionError(f"no row {heading!r}")


def short(label: str) -> str:
    """A month's row heading: ``2026-03`` → ``Mar 2026``."""
    year, month = label.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"


# --- Access -----------------------------------------------------------------------------


def test_the_lead_sees_the_alliance_figures_and_the_spc_words(world: Any, made: Made) -> None:
    response = signed_in(world.lead).get("/audit/", period(made))
    assert response.status_code == 200
    body = html(response)
    heading = text(fragment(body, "main"))
    assert "Audit: Alliance A All services of the alliance" in heading
    assert "(3 months" in heading
    # Referrals by month: the whole period's total is always shown.
    referrals = fragment(body, "table-referrals")
    assert row_of(referrals, "Whole period")[0] == "16"
    # The MRI standard, in QS56's words, with its figures and its SPC chart.
    mri = fragment(body, "standard-mri-suspected-mscc-24")
    assert "MRI within 24 hours of suspected MSCC" in mri
    assert "NG234 1.5.2; QS56 statement 3" in mri
    assert "People who had an MRI of the whole spine within 24 hours" in text(mri)
    assert row_of(fragment(mri, "table-standard-mri-suspected-mscc-24"), "Whole period")[:3] == [
        "16",
        "16",
        "100.0%",
    ]
    words = text(fragment(mri, "table-spc-standard-mri-suspected-mscc-24"))
    assert "Special cause" in words
    assert "Variation. Not judged" in text(mri)
    assert "Assurance. Not judged" in text(mri)
    assert "withheld for small numbers" in text(mri)
    assert 'role="img" aria-labelledby="chart-standard-mri-suspected-mscc-24-caption"' in mri
    # Incidence with rates (the alliance's population is set), outcomes, intervals.
    tumours = fragment(body, "table-incidence-primary-tumour")
    assert row_of(tumours, "Breast")[0] == "9"
    assert "Rate per 100,000 a year" in tumours
    assert "Walking after treatment" in body
    assert "Referral to acknowledgement by the coordinator" in body


def test_a_service_admin_sees_their_own_service_whatever_is_asked(world: Any, made: Made) -> None:
    client = signed_in(world.admin)
    response = client.get("/audit/", period(made, service="B-MSCC"))
    assert response.status_code == 200
    body = html(response)
    assert "A MSCC (A-MSCC)" in text(fragment(body, "main"))
    assert 'name="service"' not in body  # no choice of service to offer
    # A service has no population of its own: no rates.
    assert "Rate per 100,000" not in body
    csv_response = client.get("/audit/summary.csv", period(made, service="B-MSCC"))
    assert f"mscc-audit-A-MSCC-{made.first.label}" in csv_response["Content-Disposition"]


def test_the_lead_may_choose_a_service_of_their_alliance_not_another(
    world: Any, made: Made
) -> None:
    client = signed_in(world.lead)
    response = client.get("/audit/", period(made, service="A-MSCC"))
    assert response.status_code == 200
    assert "A MSCC (A-MSCC)" in text(fragment(html(response), "main"))
    assert '<option value="A-MSCC" selected>' in html(response)
    assert client.get("/audit/", {"service": "B-MSCC"}).status_code == 403


@pytest.mark.parametrize("who", ["referrer", "coordinator", "senior"])
def test_other_roles_get_the_403_page(world: Any, who: str) -> None:
    client = signed_in(world.all_users()[who])
    for url in ("/audit/", "/audit/summary.csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "You cannot open this page" in html(response)


@pytest.mark.parametrize("url", ["/audit/", "/audit/summary.csv"])
def test_signed_out_visitors_are_sent_to_sign_in(client: Client, world: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/audit/")


# --- Filters ----------------------------------------------------------------------------


def test_the_period_and_the_breakdown_choose_the_rows_and_columns(world: Any, made: Made) -> None:
    last = made.last.label
    body = html(
        signed_in(world.lead).get("/audit/", {"from": last, "to": last, "breakdown": "sex"})
    )
    referrals = fragment(body, "table-referrals")
    assert cells_of(referrals.split("</thead>")[0]) == [
        "Month",
        "All referrals",
        "Female",
        "Male",
        "Other",
        "Not known",
    ]
    assert row_of(referrals, short(last))[:3] == ["7", "7", "0"]
    assert short(made.first.label) not in referrals
    # The form shows the filters in force, and the CSV link keeps them.
    assert f'name="from" value="{last}"' in body
    assert '<option value="sex" selected>' in body
    assert f'href="/audit/summary.csv?from={last}&amp;to={last}&amp;breakdown=sex"' in body


def test_without_filters_the_last_twelve_whole_months_are_shown(world: Any) -> None:
    body = html(signed_in(world.lead).get("/audit/"))
    assert "(12 months" in text(fragment(body, "main"))


@pytest.mark.parametrize(
    ("query", "input_id", "message"),
    [
        ({"from": "2026-13"}, "audit-from", "The month must be 01 to 12."),
        ({"to": "January"}, "audit-to", "Give a month as YYYY-MM, for example 2026-01."),
        ({"to": "2100-01"}, "audit-to", "The period cannot end after this month."),
        ({"from": "2025-06", "to": "2025-01"}, "audit-from", "must start on or before its end"),
        ({"from": "1990-01"}, "audit-from", "Ask for at most 240 months at a time."),
        ({"breakdown": "postcode"}, "audit-breakdown", "Choose one of the breakdowns listed."),
        ({"service": "NOPE"}, "audit-service", "No service has the code NOPE."),
        ({"service": "A\x00"}, "audit-service", "Not a code."),
    ],
)
def test_a_bad_filter_is_a_400_with_the_message_beside_its_input(
    world: Any, query: dict[str, str], input_id: str, message: str
) -> None:
    for url in ("/audit/", "/audit/summary.csv"):
        response = signed_in(world.lead).get(url, query)
        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        form = fragment(html(response), "main")
        block = field_block(form, input_id)
        assert message in text(block)
        assert 'aria-invalid="true"' in block
        assert f'href="#{input_id}"' in fragment(form, "error-summary")
        assert "Download CSV" not in form


# --- What the page shows -----------------------------------------------------------------


def test_a_suppressed_figure_reads_suppressed_never_zero(world: Any, made: Made) -> None:
    body = html(signed_in(world.lead).get("/audit/", period(made)))
    small = short(made.months[1].label)  # the month of two referrals
    referrals = fragment(body, "table-referrals")
    cells = row_of(referrals, small)
    assert cells[:2] == ["suppressed", "suppressed"]
    assert '<td class="num suppressed">suppressed</td>' in referrals
    # Its column is not drawn: the month has only the marker.
    chart = fragment(body, "referrals")
    assert f"<title>{made.months[1].label}:" not in chart
    assert "* suppressed month (small numbers): not drawn" in chart
    # Nor in the MRI figures and the SPC table.
    mri = fragment(body, "table-standard-mri-suspected-mscc-24")
    assert row_of(mri, small)[0] == "suppressed"
    spc = fragment(body, "table-spc-standard-mri-suspected-mscc-24")
    assert row_of(spc, small)[0] == "suppressed"


def test_the_page_and_the_csv_hold_no_patient_identifier(world: Any, made: Made) -> None:
    client = signed_in(world.lead)
    body = html(client.get("/audit/", period(made)))
    download = client.get("/audit/summary.csv", period(made)).content.decode()
    for referral in made.referrals:
        patient = referral.patient
        for identifier in (patient.nhs_number, patient.formatted_nhs_number, referral.reference):
            assert identifier not in body
            assert identifier not in download
    assert FAMILY_NAME not in body
    assert FAMILY_NAME.upper() not in body
    assert FAMILY_NAME not in download


def test_the_csv_is_an_attachment_of_the_summary(world: Any, made: Made) -> None:
    response = signed_in(world.lead).get("/audit/summary.csv", period(made))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="mscc-audit-A-{made.first.label}-{made.last.label}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert tuple(rows[0]) == COLUMNS
    assert rows[1][:6] == ["total", "referrals", "", "total", "", "16"]
    small = [
        r for r in rows if r[0] == made.months[1].label and r[1:4] == ["referrals", "", "total"]
    ]
    assert small[0][5] == "*"


def test_the_spc_target_is_the_setting(world: Any, made: Made, settings: Any) -> None:
    settings.MSCC_AUDIT_SPC_TARGET_PERCENT = 95.0
    body = text(html(signed_in(world.lead).get("/audit/", period(made))))
    assert "against a target of 95% of people meeting the standard" in body
    assert "the target (95.0%)" in body


def test_the_page_names_its_scope_period_and_time_for_the_printed_pack(
    world: Any, made: Made
) -> None:
    body = html(signed_in(world.lead).get("/audit/", period(made)))
    assert 'href="/static/audit/print.css" media="print"' in body
    note = text(fragment(body, "suppression-note"))
    assert "Counts from 1 to 5 are shown as suppressed" in note
    assert "so no person can be identified" in note
    assert "Figures as at " in text(fragment(body, "main"))
    # No inline style (the Content-Security-Policy allows none) and no script.
    main = fragment(body, "main")
    assert "style=" not in main
    assert "<script" not in main


def test_the_spc_rule_lengths_are_settings(
    world: Any, made: Made, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.MSCC_AUDIT_SPC_RUN_LENGTH = 8
    settings.MSCC_AUDIT_SPC_TREND_LENGTH = 6
    settings.MSCC_AUDIT_SPC_RELIABLE_MONTHS = 20
    used: list[Any] = []
    real = audit_views.dashboard

    def spy(summary: Any, **options: Any) -> Any:
        used.append(options["rules"])
        return real(summary, **options)

    monkeypatch.setattr(audit_views, "dashboard", spy)
    assert signed_in(world.lead).get("/audit/", period(made)).status_code == 200
    assert used == [SpcRules(run_length=8, trend_length=6, min_points_for_limits=20)]
