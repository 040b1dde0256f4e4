"""Finding referrals (issue 11): the list searched by NHS number, name or
reference, filtered by category, status, overdue / due soon and open only,
sorted, and exported as CSV; the search text never in an address or the
access record; another service's or organisation's referral never found;
a fixed number of queries however long the list."""

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordinator.forms.referral_search import search_form
from coordinator.referral_search import ListSort, ReferralSearch, referral_search
from coordinator.views import referral_list as list_view
from core.csv_cells import spreadsheet_safe
from core.logs import JsonFormatter
from notifications.codes import StepWhen
from notifications.models import EscalationStep
from pathways.codes import ClockKind, ClockStatus
from pathways.models import Clock
from referrals.models import PatientDataAccess, Referral
from tests.factories import next_nhs_number, patient_details
from tests.page_helpers import fragment, html, signed_in, text

LIST = "/referrals/mine/"
EXPORT = "/referrals/mine/export/"
T0 = datetime(2026, 7, 14, 2, 0, tzinfo=ZoneInfo("Europe/London"))  # BST


def spaced(nhs: str) -> str:
    return f"{nhs[:3]} {nhs[3:6]} {nhs[6:]}"


def found(user: Any, now: datetime | None = None, **criteria: Any) -> list[str]:
    search = ReferralSearch(**criteria)
    return [
        r.reference for r in referral_search(user=user, search=search, now=now or timezone.now())
    ]


def post(client: Client, url: str = LIST, **data: Any) -> Any:
    return client.post(url, data)


# --- The form: what was typed, read ------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("MSCC-7K3M9QPX", {"reference": "MSCC-7K3M9QPX"}),
        ("mscc-7k3m9qpx", {"reference": "MSCC-7K3M9QPX"}),
        ("7k3m9qpx", {"reference": "MSCC-7K3M9QPX"}),
        ("  smith  ", {"name_terms": ("smith",)}),
        ("SMITH, Ada", {"name_terms": ("SMITH", "Ada")}),
        ("O'Neill-Jones", {"name_terms": ("O'Neill-Jones",)}),
        ("Siân", {"name_terms": ("Siân",)}),
        # Eight letters of the reference alphabet but no digit: a name or a reference.
        ("Hampters", {"name_terms": ("Hampters",), "reference": "MSCC-HAMPTERS"}),
        # An O (never in a reference): a name only.
        ("Lovelace", {"name_terms": ("Lovelace",), "reference": ""}),
    ],
)
def test_one_box_tells_an_nhs_number_a_reference_and_a_name_apart(
    typed: str, expected: dict[str, Any]
) -> None:
    form = search_form({"q": typed}, text_allowed=True)
    assert form.errors == {}
    assert form.search is not None
    for key, value in expected.items():
        assert getattr(form.search, key) == value


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"q": "999 000 000"}, "q", "An NHS number is 10 digits."),
        ({"q": "9990000001"}, "q", "fails its Modulus 11 check digit"),
        ({"q": "x" * 101}, "q", "Type at most 100 characters."),
        ({"q": "Smith 42"}, "q", "Type an NHS number (10 digits)"),
        ({"q": "a"}, "q", "Type at least 2 letters"),
        ({"category": "urgent"}, "category", "Choose a category from the list."),
        ({"status": "lost"}, "status", "Choose a status from the list."),
        ({"clocks": "late"}, "clocks", "Choose a clocks from the list."),
        ({"sort": "name"}, "sort", "Choose a order from the list."),
        ({"open": "perhaps"}, "open", "Tick the box, or leave it empty."),
    ],
)
def test_bad_input_is_named_by_its_field(data: dict[str, str], field: str, message: str) -> None:
    form = search_form(data, text_allowed=True)
    assert form.search is None
    assert message in " ".join(form.errors[field])


def test_an_nhs_number_may_be_typed_with_spaces_or_dashes() -> None:
    nhs = next_nhs_number()
    for typed in (nhs, spaced(nhs), f"{nhs[:3]}-{nhs[3:6]}-{nhs[6:]}", f" {spaced(nhs)} "):
        form = search_form({"q": typed}, text_allowed=True)
        assert form.search is not None
        assert form.search.nhs_number == nhs


def test_a_search_text_in_the_address_is_refused_unread() -> None:
    form = search_form({"q": "Smith"}, text_allowed=False)
    assert form.search is None
    assert "never sent in the web address" in form.errors["q"][0]
    assert form.values["q"] == ""


# --- The selector: search, scope, filters, order ------------------------------------------


def test_found_by_nhs_number_name_and_reference(world: Any, make_referral: Any) -> None:
    nhs = next_nhs_number()
    ada = make_referral(patient=patient_details(nhs_number=nhs, family_name="Lovelace"))
    other = make_referral(patient=patient_details(family_name="Babbage", given_name="Charles"))
    assert found(world.coordinator, nhs_number=nhs) == [ada.reference]
    assert found(world.coordinator, reference=other.reference) == [other.reference]
    # Case-insensitive and partial, on the given or the family name.
    assert found(world.coordinator, name_terms=("LOVEL",)) == [ada.reference]
    assert found(world.coordinator, name_terms=("charl",)) == [other.reference]
    # Every word must match: "test" is Ada's given name, "babb" is not hers.
    assert found(world.coordinator, name_terms=("test", "lovelace")) == [ada.reference]
    assert found(world.coordinator, name_terms=("test", "babb")) == []


def test_eight_letters_find_a_reference_typed_without_its_prefix_or_a_name(
    world: Any, make_referral: Any
) -> None:
    by_reference = make_referral()
    Referral.objects.filter(pk=by_reference.pk).update(reference="MSCC-HAMPTERS")
    by_name = make_referral(patient=patient_details(family_name="Hampters"))
    client = signed_in(world.coordinator)
    results = text(fragment(html(post(client, q="hampters")), "referral-results"))
    assert "MSCC-HAMPTERS" in results
    assert by_name.reference in results


def test_another_services_or_organisations_referral_is_never_found(
    world: Any, make_referral: Any
) -> None:
    nhs = next_nhs_number()
    theirs = make_referral(
        user=world.referrer_other,
        organisation=world.other_gp,
        service=world.other_service,
        patient=patient_details(nhs_number=nhs, family_name="Elsewhere"),
    )
    by = {
        "nhs": {"nhs_number": nhs},
        "name": {"name_terms": ("Elsewhere",)},
        "reference": {"reference": theirs.reference},
    }
    for user in (world.coordinator, world.senior, world.referrer, world.referrer_same_alliance):
        for criteria in by.values():
            assert found(user, **criteria) == []
    # Its own service's coordinator finds it; the same alliance's other GP does not
    # find GP-A1's referral.
    assert found(world.coordinator_other, nhs_number=nhs) == [theirs.reference]
    mine = make_referral(patient=patient_details(family_name="Homely"))
    assert found(world.referrer_same_alliance, name_terms=("Homely",)) == []
    assert found(world.referrer_same_alliance, reference=mine.reference) == []
    assert found(world.referrer, name_terms=("Homely",)) == [mine.reference]
    # Roles with no patient-level view find nothing at all.
    assert found(world.lead, name_terms=("Homely",)) == []


def test_a_referrer_finds_a_name_only_as_their_referral_sent_it(
    world: Any, make_referral: Any
) -> None:
    """The held record (another organisation's details for the NHS number) is
    never searched for a referrer: a match would tell them it exists."""
    nhs = next_nhs_number()
    make_referral(
        user=world.referrer_same_alliance,
        organisation=world.gp2,
        patient=patient_details(nhs_number=nhs, family_name="Heldname"),
    )
    sent = make_referral(patient=patient_details(nhs_number=nhs, family_name="Sentname"))
    assert sent.identity_check_required
    assert found(world.referrer, name_terms=("Heldname",)) == []
    assert found(world.referrer, name_terms=("Sentname",)) == [sent.reference]
    # Found by the NHS number, the coordinator is told to check identity; the referrer is not.
    coordinator_rows = fragment(html(post(signed_in(world.coordinator), q=nhs)), "referral-results")
    assert text(coordinator_rows).count("Warning: check identity") == 1
    referrer_rows = fragment(html(post(signed_in(world.referrer), q=nhs)), "referral-results")
    assert sent.reference in referrer_rows
    assert "check identity" not in referrer_rows
    assert "Heldname" not in referrer_rows
    # The service's coordinator searches what they are shown: the held record.
    assert set(found(world.coordinator, name_terms=("Heldname",))) == {
        r.reference for r in Referral.objects.filter(patient__nhs_number=nhs)
    }


def test_category_status_and_open_filters(world: Any, make_referral: Any) -> None:
    mscc = make_referral()
    safety_net = make_referral(neuro_features=[], pain_features=[], cancer_status="none")
    assert safety_net.category != mscc.category
    assert found(world.coordinator, category=mscc.category) == [mscc.reference]
    assert found(world.coordinator, category=safety_net.category) == [safety_net.reference]
    Referral.objects.filter(pk=safety_net.pk).update(status="withdrawn")
    assert found(world.coordinator, status="withdrawn") == [safety_net.reference]
    assert found(world.coordinator, open_only=True) == [mscc.reference]


def test_overdue_and_due_soon_are_judged_at_now(world: Any, make_referral: Any) -> None:
    """A suspected-MSCC referral's acknowledgement clock has 30 minutes: due
    soon from 22.5 minutes (25% left, the default policy's latest warning),
    overdue from 30."""
    referral = make_referral(now=T0)
    ack = referral.clocks.get(kind=ClockKind.ACKNOWLEDGEMENT)
    assert ack.due_at == T0 + timedelta(minutes=30)
    at = {
        "comfortable": T0 + timedelta(minutes=20),
        "due_soon": T0 + timedelta(minutes=25),
        "overdue": T0 + timedelta(minutes=31),
    }
    assert found(world.coordinator, at["comfortable"], clocks="overdue") == []
    assert found(world.coordinator, at["comfortable"], clocks="due_soon") == []
    assert found(world.coordinator, at["due_soon"], clocks="due_soon") == [referral.reference]
    assert found(world.coordinator, at["due_soon"], clocks="overdue") == []
    assert found(world.coordinator, at["overdue"], clocks="overdue") == [referral.reference]
    assert found(world.coordinator, at["overdue"], clocks="due_soon") == []
    # 19 hours on, the 24-hour MRI clock is due soon too: overdue wins.
    later = T0 + timedelta(hours=19)
    assert found(world.coordinator, later, clocks="overdue") == [referral.reference]
    assert found(world.coordinator, later, clocks="due_soon") == []
    # A stopped clock is neither: acknowledged, only the MRI clock's due soon is left.
    Clock.objects.filter(pk=ack.pk).update(status=ClockStatus.MET, stopped_at=at["due_soon"])
    assert found(world.coordinator, at["overdue"], clocks="overdue") == []
    assert found(world.coordinator, later, clocks="overdue") == []
    assert found(world.coordinator, later, clocks="due_soon") == [referral.reference]


def test_due_soon_follows_the_referrals_frozen_policy(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=T0)
    at = T0 + timedelta(minutes=25)  # 5 of 30 minutes left: 17%
    assert found(world.coordinator, at, clocks="due_soon") == [referral.reference]
    EscalationStep.objects.filter(policy=referral.escalation_policy, when=StepWhen.WARNING).update(
        fraction=0.1
    )
    assert found(world.coordinator, at, clocks="due_soon") == []
    assert found(world.coordinator, T0 + timedelta(minutes=28), clocks="due_soon") == [
        referral.reference
    ]


def test_the_three_orders(world: Any, make_referral: Any) -> None:
    old_mscc = make_referral(now=T0 - timedelta(days=2))
    safety_net = make_referral(
        now=T0 - timedelta(days=1), neuro_features=[], pain_features=[], cancer_status="none"
    )
    new_mscc = make_referral(now=T0)
    at = T0 + timedelta(hours=1)
    assert found(world.coordinator, at) == [
        new_mscc.reference,
        safety_net.reference,
        old_mscc.reference,
    ]
    assert found(world.coordinator, at, sort=ListSort.OLDEST) == [
        old_mscc.reference,
        safety_net.reference,
        new_mscc.reference,
    ]
    # As the queue: the emergency first, the one due soonest first among them.
    assert found(world.coordinator, at, sort=ListSort.URGENT) == [
        old_mscc.reference,
        new_mscc.reference,
        safety_net.reference,
    ]


# --- The page -------------------------------------------------------------------------------


def test_a_coordinator_finds_a_referral_by_nhs_number_typed_with_spaces(
    world: Any, make_referral: Any
) -> None:
    nhs = next_nhs_number()
    wanted = make_referral(patient=patient_details(nhs_number=nhs))
    other = make_referral()
    client = signed_in(world.coordinator)
    response = post(client, q=spaced(nhs))
    assert response.status_code == 200
    results = fragment(html(response), "referral-results")
    assert wanted.reference in results
    assert other.reference not in results
    assert "1 referral found" in text(html(response))
    # The search is shown back in its box, so the user sees what was searched.
    assert f'value="{spaced(nhs)}"' in html(response)


def test_the_nhs_number_is_never_in_an_address_or_the_access_record(
    world: Any, make_referral: Any
) -> None:
    nhs = next_nhs_number()
    make_referral(patient=patient_details(nhs_number=nhs))
    client = signed_in(world.coordinator)
    response = client.post(LIST, {"q": spaced(nhs), "open": "1"}, follow=True)
    assert response.redirect_chain == []  # answered in place, never redirected to ?q=
    body = html(response)
    for attribute in ("href", "action", "src"):
        for value in re.findall(rf'{attribute}="([^"]*)"', body):
            assert nhs not in value.replace(" ", ""), value
    export = client.post(EXPORT, {"q": spaced(nhs)})
    assert export.status_code == 200
    for access in PatientDataAccess.objects.all():
        assert nhs not in access.path.replace(" ", "")
        assert access.path in (LIST, EXPORT)


def test_a_search_text_in_the_address_is_a_400_and_nothing_is_recorded(
    world: Any, make_referral: Any
) -> None:
    referral = make_referral()
    nhs = referral.patient.nhs_number
    response = signed_in(world.coordinator).get(LIST, {"q": nhs})
    assert response.status_code == 400
    assert nhs not in html(response)
    assert referral.reference not in html(response)
    assert not PatientDataAccess.objects.exists()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"q": "999 000 000"}, "q", "An NHS number is 10 digits."),
        ({"q": "9990000001"}, "q", "fails its Modulus 11 check digit"),
        ({"q": "y" * 101}, "q", "Type at most 100 characters."),
        ({"category": "urgent"}, "category", "Choose a category from the list."),
        ({"status": "lost"}, "status", "Choose a status from the list."),
    ],
)
def test_bad_input_is_a_400_page_with_the_error_beside_the_field(
    world: Any, make_referral: Any, data: dict[str, str], field: str, message: str
) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    for response in (post(client, **data), post(client, EXPORT, **data)):
        assert response.status_code == 400
        body = html(response)
        assert message in text(fragment(body, "error-summary"))
        beside = body[body.index(f'id="f-{field}-error1"') - 300 : body.index(f'id="f-{field}"')]
        assert message in text(beside)
        assert 'aria-invalid="true"' in body
        assert referral.reference not in body
        assert response["Content-Type"].startswith("text/html")
    # A filter that is a code may come from the address; a bad one is refused there too.
    assert client.get(LIST, {"category": "urgent"}).status_code == 400
    assert not PatientDataAccess.objects.exists()


def test_filters_that_are_codes_work_from_the_address(world: Any, make_referral: Any) -> None:
    now = timezone.now()
    late = make_referral(now=now - timedelta(hours=2))
    fresh = make_referral(now=now)
    body = html(signed_in(world.coordinator).get(LIST, {"clocks": "overdue"}))
    results = fragment(body, "referral-results")
    assert late.reference in results
    assert fresh.reference not in results
    assert "Overdue" in text(results)
    assert "Acknowledgement: OVERDUE by" in text(results)
    access = PatientDataAccess.objects.get()
    assert access.referral_ids == [str(late.pk)]
    assert access.view == "page.referral_list"


def test_a_post_without_its_csrf_token_is_refused(world: Any, make_referral: Any) -> None:
    make_referral()
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.coordinator)
    assert client.post(LIST, {"q": "Patient"}).status_code == 403
    assert client.post(EXPORT, {}).status_code == 403
    assert not PatientDataAccess.objects.exists()


def test_the_list_keeps_its_scope_for_every_role(world: Any, make_referral: Any) -> None:
    mine = make_referral()
    theirs = make_referral(
        user=world.referrer_other, organisation=world.other_gp, service=world.other_service
    )
    for user, sees, not_sees in (
        (world.coordinator, mine, theirs),
        (world.referrer, mine, theirs),
        (world.coordinator_other, theirs, mine),
    ):
        body = html(post(signed_in(user), q="Patient"))
        assert sees.reference in body
        assert not_sees.reference not in body
    assert signed_in(world.lead).post(LIST, {"q": "Patient"}).status_code == 403


def test_a_search_that_spans_pages_keeps_its_text_out_of_the_address(
    world: Any, make_referral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(list_view, "LIST_PAGE_SIZE", 2)
    made = [make_referral(now=T0 + timedelta(minutes=i)) for i in range(3)]
    client = signed_in(world.coordinator)
    first = html(post(client, q="patient"))
    pages = fragment(first, "referral-pages")
    assert 'method="post"' in pages
    assert 'name="q" value="patient"' in pages
    assert "?" not in pages
    second = html(post(client, q="patient", page="2"))
    assert made[0].reference in fragment(second, "referral-results")
    assert made[2].reference not in fragment(second, "referral-results")


# --- A fixed number of queries -------------------------------------------------------------


def _queries(client: Client, data: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.post(LIST, data).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "data",
    [{}, {"q": "patient"}, {"clocks": "overdue"}, {"clocks": "due_soon"}, {"sort": "urgent"}],
)
def test_the_page_costs_the_same_queries_for_2_rows_or_8(
    world: Any, make_referral: Any, data: dict[str, str]
) -> None:
    client = signed_in(world.coordinator)
    late = timezone.now() - timedelta(minutes=26)  # every ack clock due soon, none overdue
    if data.get("clocks") == "overdue":
        late = timezone.now() - timedelta(hours=1)
    for _ in range(2):
        make_referral(now=late)
    few = _queries(client, data)
    for _ in range(6):
        make_referral(now=late)
    assert _queries(client, data) == few
    last = PatientDataAccess.objects.order_by("at", "pk").last()
    assert last is not None
    assert len(last.referral_ids) == 8


# --- Export ------------------------------------------------------------------------------------


def _rows(response: Any) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_export_is_the_whole_list_found_with_uk_times(
    world: Any, make_referral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(list_view, "LIST_PAGE_SIZE", 1)
    a = make_referral(now=T0, patient=patient_details(family_name="Lovelace", given_name="Ada"))
    b = make_referral(now=T0 + timedelta(minutes=5), patient=patient_details(family_name="Lovel"))
    make_referral(now=T0, patient=patient_details(family_name="Babbage"))
    client = signed_in(world.coordinator)
    response = post(client, EXPORT, q="lovel", sort="oldest")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="referrals-')
    assert response["Cache-Control"] == "no-store"
    rows = _rows(response)
    assert [r["reference"] for r in rows] == [a.reference, b.reference]
    first = rows[0]
    assert list(first) == [
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
    ]
    assert first["received_at"] == "2026-07-14T02:00:00+01:00"
    assert first["category"] == "suspected_mscc"
    assert first["status"] == "received"
    assert first["clock"] == "acknowledgement"
    assert first["clock_urgency"] == "overdue"  # judged now, long after T0
    assert first["clock_due_at"] == "2026-07-14T02:30:00+01:00"
    assert first["nhs_number"] == a.patient.nhs_number
    assert (first["family_name"], first["given_name"]) == ("Lovelace", "Ada")
    # No identifier in the file's name.
    assert a.patient.nhs_number not in response["Content-Disposition"]


def test_export_is_recorded_with_every_referral_and_patient(
    world: Any, make_referral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(list_view, "LIST_PAGE_SIZE", 1)
    made = [make_referral() for _ in range(3)]
    theirs = make_referral(
        user=world.referrer_other, organisation=world.other_gp, service=world.other_service
    )
    rows = _rows(post(signed_in(world.coordinator), EXPORT))
    assert {r["reference"] for r in rows} == {r.reference for r in made}
    access = PatientDataAccess.objects.get()
    assert access.view == "page.referral_list.export"
    assert access.path == EXPORT
    assert access.user == world.coordinator
    assert set(access.referral_ids) == {str(r.pk) for r in made}
    assert set(access.patient_ids) == {str(r.patient_id) for r in made}
    assert str(theirs.pk) not in access.referral_ids


def test_export_neutralises_cells_that_start_like_a_formula(world: Any, make_referral: Any) -> None:
    make_referral(patient=patient_details(family_name="=HYPERLINK(1)", given_name="@SUM"))
    rows = _rows(post(signed_in(world.coordinator), EXPORT))
    assert rows[0]["family_name"] == "'=HYPERLINK(1)"
    assert rows[0]["given_name"] == "'@SUM"
    for cell in ("+1", "-1", "=1", "@a", "\t1", "\r1"):
        assert spreadsheet_safe(cell) == "'" + cell


def test_export_is_for_the_services_clinicians_by_post(world: Any, make_referral: Any) -> None:
    make_referral()
    assert signed_in(world.referrer).post(EXPORT).status_code == 403
    assert signed_in(world.lead).post(EXPORT).status_code == 403
    assert signed_in(world.coordinator).get(EXPORT).status_code == 405
    assert signed_in(world.senior).post(EXPORT).status_code == 200
    assert "as CSV</button>" not in html(signed_in(world.referrer).get(LIST))
    assert "as CSV</button>" in html(signed_in(world.coordinator).get(LIST))
    assert [a.user for a in PatientDataAccess.objects.filter(view__endswith="export")] == [
        world.senior
    ]


def test_an_empty_export_records_nobody(world: Any, make_referral: Any) -> None:
    make_referral()
    rows = _rows(post(signed_in(world.coordinator), EXPORT, q="Nobodyatall"))
    assert rows == []
    assert not PatientDataAccess.objects.exists()


@pytest.mark.postgres
def test_search_and_export_on_postgresql(world: Any, make_referral: Any) -> None:
    """The case-insensitive name match and the due-soon filter on the production database."""
    referral = make_referral(now=T0, patient=patient_details(family_name="Ó Súilleabháin"))
    assert found(world.coordinator, name_terms=("súill",)) == [referral.reference]
    assert found(world.coordinator, T0 + timedelta(minutes=25), clocks="due_soon") == [
        referral.reference
    ]
    rows = _rows(post(signed_in(world.coordinator), EXPORT, q="Súilleabháin"))
    assert rows[0]["family_name"] == "Ó Súilleabháin"


def test_the_export_costs_the_same_queries_for_2_rows_or_8(world: Any, make_referral: Any) -> None:
    client = signed_in(world.coordinator)

    def export_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.post(EXPORT, {"clocks": "due_soon"}).status_code == 200
        return len(queries)

    late = timezone.now() - timedelta(minutes=26)  # every ack clock due soon
    for _ in range(2):
        make_referral(now=late)
    few = export_queries()
    for _ in range(6):
        make_referral(now=late)
    assert export_queries() == few
    last = PatientDataAccess.objects.order_by("at", "pk").last()
    assert last is not None
    assert len(last.referral_ids) == 8


def test_no_nhs_number_or_name_reaches_a_log(
    world: Any, make_referral: Any, caplog: pytest.LogCaptureFixture
) -> None:
    nhs = next_nhs_number()
    make_referral(patient=patient_details(nhs_number=nhs, family_name="Lovelace"))
    client = signed_in(world.coordinator)
    with caplog.at_level("DEBUG"):
        assert post(client, q=spaced(nhs)).status_code == 200
        assert post(client, q="Lovelace").status_code == 200
        assert post(client, EXPORT, q=spaced(nhs)).status_code == 200
        assert post(client, q=spaced(nhs)[:-1]).status_code == 400
        assert client.get(LIST, {"q": nhs}).status_code == 400
    # As the service writes them (core.logs.JsonFormatter, settings' LOGGING).
    formatter = JsonFormatter()
    logged = " ".join(formatter.format(r) for r in caplog.records).replace(" ", "")
    assert caplog.records  # the 400s at least are logged
    assert nhs not in logged
    assert nhs[:-1] not in logged
    assert "Lovelace" not in logged
