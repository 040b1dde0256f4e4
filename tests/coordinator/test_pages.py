"""The server-rendered pages: roles, scope, the referral form, the queue,
acknowledgement, category change, access records and the stopped-worker banner."""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordinator import forms
from coordinator.services import referral_create
from coordinator.views import queue_page as views  # QUEUE_LIMIT is read there
from notifications.services import heartbeat_record
from referrals.inputs import PatientDetails
from referrals.models import Patient, PatientDataAccess, Referral
from tests.conftest import PASSWORD, hours, next_nhs_number

MSCC_LABEL = "Suspected MSCC (oncological emergency)"
SAFETY_NET_LABEL = "Safety-net advice"


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_post(**overrides: Any) -> dict[str, Any]:
    """What the referral page posts for a suspected-MSCC case from GP-A1."""
    data: dict[str, Any] = {
        "patient_nhs_number": next_nhs_number(),
        "patient_given_name": "Ada",
        "patient_family_name": "Lovelace",
        "patient_date_of_birth": "1955-04-01",
        "patient_sex": "female",
        "patient_postcode": "LS1 4AP",
        "referring_organisation": "GP-A1",
        "service": "A-MSCC",
        "cancer_status": "current_or_past",
        "primary_tumour": "breast",
        "haematological": "no",
        "pain_features": ["progressive"],
        "neuro_features": ["limb_weakness"],
        "neuro_onset_at": "",
        "neuro_progressing": "true",
        "suspected_at": "",
        "imaging_findings": "none",
        "movement_pain": "none",
        "performance_status": "1",
        "frailty_score": "",
        "ambulatory": "true",
        "presentation": "Two days of leg weakness.",
        "referrer_contact": "Dr Test 0113 000 0000",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def html(response: Any) -> str:
    return response.content.decode()


# --- Sign-in and home -------------------------------------------------------------------


def test_sign_in_page_has_labelled_inputs(client: Client, world: Any) -> None:
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = html(response)
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body


def test_sign_in_with_password_lands_a_referrer_on_their_referrals(
    client: Client, world: Any
) -> None:
    response = client.post(
        reverse("login"), {"username": "referrer", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("referral_mine")
    assert "Referrals from GP-A1" in html(response)


def test_wrong_password_is_refused_on_the_page(client: Client, world: Any) -> None:
    response = client.post(reverse("login"), {"username": "referrer", "password": "nope"})
    assert response.status_code == 200
    assert "There is a problem" in html(response)


@pytest.mark.parametrize(
    ("who", "target"),
    [("referrer", "/referrals/mine/"), ("coordinator", "/queue/"), ("senior", "/queue/")],
)
def test_home_redirects_by_role(world: Any, who: str, target: str) -> None:
    response = signed_in(world.all_users()[who]).get("/")
    assert response.status_code == 302
    assert response["Location"] == target


def test_home_lands_an_alliance_lead_on_the_audit_dashboard(world: Any) -> None:
    response = signed_in(world.lead).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/audit/"


def test_home_for_a_service_admin_links_to_the_audit_and_the_rota(world: Any) -> None:
    response = signed_in(world.admin).get("/")
    assert response.status_code == 200
    body = html(response)
    assert '<a href="/audit/">Audit dashboard</a>' in body
    assert '<a href="/rota/">Rota</a>' in body
    # Issue 11: the settings no longer "come later"; the team page is there.
    assert "come later" not in body
    assert '<a href="/team/">Team</a>' in body


@pytest.mark.parametrize(
    ("who", "shown"), [("lead", True), ("admin", True), ("coordinator", False)]
)
def test_the_nav_has_the_audit_for_those_who_may_see_it(world: Any, who: str, shown: bool) -> None:
    response = signed_in(world.all_users()[who]).get("/accounts/")
    nav = html(response).split('<nav aria-label="Main"', 1)[1].split("</nav>", 1)[0]
    assert ('href="/audit/"' in nav) is shown


@pytest.mark.parametrize(
    "url", ["/", "/referrals/new/", "/referrals/mine/", "/queue/", "/queue/rows/", "/queue/print/"]
)
def test_signed_out_visitors_are_sent_to_sign_in(client: Client, world: Any, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_signed_out_queue_refresh_redirects_the_whole_page(client: Client, world: Any) -> None:
    response = client.get(
        "/queue/rows/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/queue/"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/accounts/login/?next=/queue/"


def test_sign_out(world: Any) -> None:
    client = signed_in(world.referrer)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/referrals/mine/").status_code == 302


# --- Who may open what --------------------------------------------------------------------

PAGE_STATUS = {
    # page: {role: status}
    "/referrals/new/": {
        "referrer": 200,
        "referrer_other": 200,
        "coordinator": 200,
        "senior": 200,
        "lead": 403,
        "admin": 403,
    },
    "/referrals/mine/": {
        "referrer": 200,
        "referrer_other": 200,
        "coordinator": 200,
        "senior": 200,
        "lead": 403,
        "admin": 403,
    },
    "/queue/": {
        "referrer": 403,
        "referrer_other": 403,
        "coordinator": 200,
        "senior": 200,
        "lead": 403,
        "admin": 403,
    },
    "/queue/rows/": {
        "referrer": 403,
        "referrer_other": 403,
        "coordinator": 200,
        "senior": 200,
        "lead": 403,
        "admin": 403,
    },
    "/queue/print/": {
        "referrer": 403,
        "referrer_other": 403,
        "coordinator": 200,
        "senior": 200,
        "lead": 403,
        "admin": 403,
    },
}


@pytest.mark.parametrize(
    ("url", "who", "expected"),
    [(url, who, status) for url, roles in PAGE_STATUS.items() for who, status in roles.items()],
)
def test_page_status_by_role(world: Any, url: str, who: str, expected: int) -> None:
    assert signed_in(world.all_users()[who]).get(url).status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("referrer", 200),
        ("coordinator", 200),
        ("senior", 200),
        ("lead", 403),
        ("admin", 403),
        ("referrer_other", 404),  # another alliance's organisation
        ("referrer_same_alliance", 404),  # another organisation, same alliance
        ("coordinator_other", 404),  # another service
    ],
)
def test_referral_detail_is_scoped(world: Any, make_referral: Any, who: str, expected: int) -> None:
    referral = make_referral()
    response = signed_in(world.all_users()[who]).get(f"/referrals/{referral.pk}/")
    assert response.status_code == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("referrer", 403),
        ("lead", 403),
        ("admin", 403),
        ("coordinator_other", 404),
        ("coordinator", 302),
        ("senior", 302),
    ],
)
def test_acknowledge_by_role(world: Any, make_referral: Any, who: str, expected: int) -> None:
    referral = make_referral()
    response = signed_in(world.all_users()[who]).post(f"/referrals/{referral.pk}/acknowledge/")
    assert response.status_code == expected
    referral.refresh_from_db()
    assert (referral.acknowledged_at is not None) == (expected == 302)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("referrer", 403), ("lead", 403), ("admin", 403), ("coordinator_other", 404)],
)
def test_category_change_refused_to_other_roles(
    world: Any, make_referral: Any, who: str, expected: int
) -> None:
    referral = make_referral()
    response = signed_in(world.all_users()[who]).post(
        f"/referrals/{referral.pk}/category/", {"category": "safety_net", "reason": "x"}
    )
    assert response.status_code == expected
    referral.refresh_from_db()
    assert referral.category == "suspected_mscc"


def test_acknowledge_is_post_only(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).get(f"/referrals/{referral.pk}/acknowledge/")
    assert response.status_code == 405


def test_unknown_referral_is_404(world: Any) -> None:
    response = signed_in(world.referrer).get("/referrals/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


# --- The referral form ------------------------------------------------------------------


def test_referrer_form_fixes_their_organisation_and_preselects_the_service(world: Any) -> None:
    body = html(signed_in(world.referrer).get("/referrals/new/"))
    assert '<input type="hidden" name="referring_organisation" value="GP-A1">' in body
    assert '<select id="f-referring_organisation"' not in body
    assert '<option value="A-MSCC" selected>' in body
    # NG234 box 1, in the guideline's wording, as checkboxes with labels.
    assert 'name="neuro_features" value="limb_weakness"' in body
    assert "Limb weakness</label>" in body
    assert "Claudication (muscle pain or cramping in the legs when walking or exercising)" in body
    assert 'type="datetime-local" id="f-suspected_at"' in body
    # Every input has a label.
    assert '<label for="f-patient_nhs_number">' in body


def test_coordinator_form_offers_the_alliance_organisations(world: Any) -> None:
    body = html(signed_in(world.coordinator).get("/referrals/new/"))
    assert '<select id="f-referring_organisation"' in body
    for code in ("GP-A1", "GP-A2", "WARD-A"):
        assert f'<option value="{code}">' in body
    assert "GP-B" not in body


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"patient_nhs_number": "1234567890"}, "patient_nhs_number", "Modulus 11"),
        ({"patient_nhs_number": "12345"}, "patient_nhs_number", "An NHS number is 10 digits."),
        (
            {"patient_date_of_birth": (timezone.localdate() + timedelta(days=2)).isoformat()},
            "patient_date_of_birth",
            "The date of birth cannot be in the future.",
        ),
        (
            {"referring_organisation": "NOPE"},
            "referring_organisation",
            "No organisation has the code",
        ),
        ({"patient_postcode": "NOPE 1"}, "patient_postcode", "Not a UK postcode"),
        ({"cancer_status": ""}, "cancer_status", "This field is required."),
        ({"primary_tumour": ""}, "primary_tumour", "Give the primary tumour"),
        ({"neuro_features": ["limb_weakness", "telepathy"]}, "neuro_features", "Unknown code"),
        ({"suspected_at": "2099-01-01T10:00"}, "suspected_at", "cannot be in the future"),
        # Accepted by the serializer, refused by the service layer (DomainError).
        (
            {"referring_organisation": "GP-A2"},
            "referring_organisation",
            "You may refer only on behalf of your own organisation.",
        ),
        (
            {"referring_organisation": "GP-B", "service": "A-MSCC"},
            "referring_organisation",
            "own organisation",
        ),
    ],
)
def test_bad_input_re_renders_with_the_error_and_stores_nothing(
    world: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    referrals, patients = Referral.objects.count(), Patient.objects.count()
    response = signed_in(world.referrer).post("/referrals/new/", form_post(**overrides))
    # Refused input is a 400 (issue 11; it was a 200 page with errors).
    assert response.status_code == 400
    body = html(response)
    assert "There is a problem: nothing has been sent yet" in body
    assert message in body
    # The error sits with its input, and the summary links to it.
    assert response.context["errors"][field]
    assert f'href="#f-{field}"' in body
    # What was typed is shown again.
    assert 'value="Lovelace"' in body
    assert Referral.objects.count() == referrals
    assert Patient.objects.count() == patients


def test_page_and_api_refuse_the_same_input_with_the_same_words(world: Any, api: Any) -> None:
    from tests.conftest import referral_body

    body = referral_body()
    body["patient"]["nhs_number"] = "1234567890"
    api_errors = api(world.referrer).post("/api/v1/referrals/", body, format="json").json()
    page = signed_in(world.referrer).post(
        "/referrals/new/", form_post(patient_nhs_number="1234567890")
    )
    assert page.context["errors"]["patient_nhs_number"] == api_errors["patient"]["nhs_number"]


def test_good_submission_redirects_to_the_referral_with_category_and_advice(world: Any) -> None:
    client = signed_in(world.referrer)
    two_hours_ago = timezone.localtime(timezone.now() - hours(2)).replace(second=0, microsecond=0)
    response = client.post(
        "/referrals/new/",
        form_post(
            suspected_at=two_hours_ago.strftime("%Y-%m-%dT%H:%M"),
            pain_features=["progressive", "nocturnal"],
            individual_needs="Needs a Polish interpreter",
        ),
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    # Stored as the page said: local UK time read as an aware instant.
    assert referral.suspected_at == two_hours_ago
    assert referral.pain_features == ["progressive", "nocturnal"]
    assert referral.neuro_features == ["limb_weakness"]
    assert referral.neuro_progressing is True
    assert referral.performance_status == 1
    assert referral.frailty_score is None
    assert referral.referred_by == world.referrer
    assert referral.category == "suspected_mscc"

    page = client.get(response["Location"])
    body = html(page)
    assert MSCC_LABEL in body
    assert "NG234 1.3.2" in body
    assert "NG234 1.5.2" in body
    assert "01632 960 001" in body  # the service's 24/7 coordinator number
    assert "advice, not an instruction" in body
    assert f"Referral {referral.reference} received" in body
    assert "Needs a Polish interpreter" in body


def test_a_double_submitted_form_makes_one_referral(world: Any) -> None:
    client = signed_in(world.referrer)
    form = client.get("/referrals/new/")
    key = re.search(r'name="submission_key" value="([0-9a-f-]{36})"', html(form)).group(1)
    data = form_post(submission_key=key)
    first = client.post("/referrals/new/", data)
    again = client.post("/referrals/new/", data, follow=True)
    referral = Referral.objects.get()
    assert first["Location"] == again.redirect_chain[0][0] == f"/referrals/{referral.pk}/"
    assert f"already submitted: it is referral {referral.reference}" in html(again)


def test_a_submitted_form_changed_and_resent_is_refused(world: Any) -> None:
    client = signed_in(world.referrer)
    key = "0b7a8f3e-7d7c-4a53-9d55-7a1f7f0f9c11"
    client.post("/referrals/new/", form_post(submission_key=key))
    response = client.post("/referrals/new/", form_post(submission_key=key))
    assert response.status_code == 400
    assert "already used" in html(response)
    assert Referral.objects.count() == 1


def test_blank_suspected_at_means_now(world: Any) -> None:
    before = timezone.now()
    signed_in(world.referrer).post("/referrals/new/", form_post())
    referral = Referral.objects.get()
    assert referral.suspected_at == referral.received_at
    assert referral.received_at >= before


def test_coordinator_logs_a_phoned_in_referral_for_another_organisation(world: Any) -> None:
    response = signed_in(world.coordinator).post(
        "/referrals/new/", form_post(referring_organisation="WARD-A")
    )
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert referral.referring_organisation == world.ward
    assert referral.referred_by == world.coordinator


def test_uk_local_times_become_aware_times() -> None:
    assert forms.local_time_to_iso("2026-07-01T03:00") == "2026-07-01T03:00:00+01:00"
    assert forms.local_time_to_iso("2026-01-01T03:00") == "2026-01-01T03:00:00+00:00"
    # The repeated hour when the clocks go back: the earlier instant (BST).
    assert forms.local_time_to_iso("2026-10-25T01:30") == "2026-10-25T01:30:00+01:00"
    # Not a datetime-local value: passed on for the serializer to refuse.
    assert forms.local_time_to_iso("yesterday") == "yesterday"


# --- My referrals -------------------------------------------------------------------------


def test_my_referrals_lists_only_my_organisations(world: Any, make_referral: Any) -> None:
    mine = make_referral()
    theirs = make_referral(user=world.referrer_same_alliance, organisation=world.gp2)
    response = signed_in(world.referrer).get("/referrals/mine/")
    body = html(response)
    assert mine.reference in body
    assert theirs.reference not in body
    assert "PATIENT, Test" in body
    assert MSCC_LABEL in body
    assert "Received, not yet acknowledged" in body
    # Received time in UK local time, with GMT/BST.
    assert timezone.localtime(mine.received_at).strftime("%H:%M") in body


# --- The queue -----------------------------------------------------------------------------


def test_queue_shows_the_most_urgent_first(world: Any, make_referral: Any) -> None:
    safety_net = make_referral(
        neuro_features=[], back_pain=True, now=timezone.now() - timedelta(minutes=5)
    )
    mscc = make_referral()
    assert safety_net.category == "safety_net"
    body = html(signed_in(world.coordinator).get("/queue/"))
    assert body.index(mscc.reference) < body.index(safety_net.reference)
    assert MSCC_LABEL in body
    assert SAFETY_NET_LABEL in body
    assert "NHS " + mscc.patient.formatted_nhs_number in body
    # Every running clock, with its time left.
    assert "Acknowledgement:" in body
    assert "MRI:" in body
    assert 'hx-get="/queue/rows/"' in body
    assert 'hx-trigger="every 15s"' in body
    assert "Print / fallback list" in body


def test_queue_marks_overdue_plainly(world: Any, make_referral: Any) -> None:
    make_referral(now=timezone.now() - hours(2))  # 30-minute acknowledgement clock
    body = html(signed_in(world.coordinator).get("/queue/"))
    assert '<span class="badge badge--overdue">OVERDUE by 1 h 30 min</span>' in body


def test_queue_warns_when_identity_must_be_checked(world: Any, make_referral: Any) -> None:
    first = make_referral()
    second = referral_create(
        user=world.referrer,
        now=timezone.now(),
        organisation=world.gp,
        service=world.service,
        patient=PatientDetails(
            nhs_number=first.patient.nhs_number,
            given_name="Someone",
            family_name="Else",
            date_of_birth=date(1960, 1, 1),
            sex="male",
            postcode="LS1 4AP",
        ),
        clinical={
            "cancer_status": "current_or_past",
            "primary_tumour": "lung",
            "neuro_features": ["gait"],
        },
    )
    assert second.identity_check_required
    body = html(signed_in(world.coordinator).get("/queue/"))
    assert body.count("Warning: check identity") == 1


def test_queue_shows_at_most_the_limit_and_says_how_many_more(
    world: Any, make_referral: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "QUEUE_LIMIT", 2)
    for _ in range(3):
        make_referral()
    body = html(signed_in(world.coordinator).get("/queue/"))
    assert body.count('class="queue-row') == 2
    assert "And 1 more" in body
    # The printed fallback list is not cut at the screen's limit.
    printed = html(signed_in(world.coordinator).get("/queue/print/"))
    assert printed.count("<td>MSCC-") == 3


def test_queue_shows_only_the_coordinators_service(world: Any, make_referral: Any) -> None:
    ours = make_referral()
    theirs = make_referral(
        user=world.referrer_other, organisation=world.other_gp, service=world.other_service
    )
    body = html(signed_in(world.coordinator).get("/queue/"))
    assert ours.reference in body
    assert theirs.reference not in body


def test_queue_rows_partial_refreshes_the_table_and_the_banner(
    world: Any, make_referral: Any
) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).get("/queue/rows/", HTTP_HX_REQUEST="true")
    body = html(response)
    assert response.status_code == 200
    assert referral.reference in body
    assert "<html" not in body
    assert 'id="heartbeat-banner" hx-swap-oob="true"' in body


def test_print_list_gives_due_times(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    body = html(signed_in(world.coordinator).get("/queue/print/"))
    assert referral.reference in body
    assert "MRI: due " in body
    assert "This list does not update" in body


# --- Acknowledge ----------------------------------------------------------------------------


def test_acknowledge_from_the_queue_then_again_shows_a_message(
    world: Any, make_referral: Any
) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    url = f"/referrals/{referral.pk}/acknowledge/"
    response = client.post(url, {"next": "/queue/"}, follow=True)
    assert response.redirect_chain[-1][0] == "/queue/"
    body = html(response)
    assert f"Acknowledged {referral.reference}." in body
    referral.refresh_from_db()
    assert referral.status == "triaged"
    assert referral.acknowledged_by == world.coordinator
    assert referral.clocks.get(kind="acknowledgement").status == "met"

    again = client.post(url, {"next": "/queue/"}, follow=True)
    assert again.status_code == 200
    assert "Already acknowledged by Coordinator at" in html(again)


def test_acknowledge_with_htmx_answers_the_row(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.senior)
    url = f"/referrals/{referral.pk}/acknowledge/"
    response = client.post(url, HTTP_HX_REQUEST="true")
    body = html(response)
    assert response.status_code == 200
    assert body.strip().startswith("<tr")
    assert "Triaged" in body
    assert ">Acknowledge<" not in body
    assert "Acknowledgement:" not in body  # the clock stopped, so it no longer runs

    again = client.post(url, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert "Already acknowledged by Senior at" in html(again)


def test_acknowledge_redirect_ignores_foreign_next(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/acknowledge/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/referrals/{referral.pk}/"


# --- Referral page -------------------------------------------------------------------------


def test_referral_page_shows_everything(world: Any, make_referral: Any) -> None:
    referral = make_referral(
        pain_features=["nocturnal"],
        instability_signs=True,
        individual_needs="Deaf: BSL interpreter",
    )
    body = html(signed_in(world.coordinator).get(f"/referrals/{referral.pk}/"))
    assert MSCC_LABEL in body
    assert "Night-time back pain disturbing sleep" in body
    assert "Limb weakness" in body
    assert "Deaf: BSL interpreter" in body
    assert "NG234 1.4.1" in body  # immobilise: instability signs
    assert "Local (NG234 1.1.6, 1.3.2)" in body  # the acknowledgement clock's reference
    assert "NG234 1.5.2; QS56 statement 3" in body
    assert ">Acknowledge</button>" in body
    assert "Change category" in body


def test_referrer_sees_no_coordinator_actions(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    body = html(signed_in(world.referrer).get(f"/referrals/{referral.pk}/"))
    assert "Coordinator actions" not in body
    assert "NG234 1.3.2" in body


def test_acknowledged_referral_shows_the_event(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{referral.pk}/acknowledge/")
    body = html(client.get(f"/referrals/{referral.pk}/"))
    assert "Acknowledged\n" in body or "Acknowledged" in body
    assert ">Acknowledge</button>" not in body
    assert "recorded by Coordinator" in body
    assert "Met" in body


def test_coordinator_changes_the_category_with_a_reason(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    response = client.post(
        f"/referrals/{referral.pk}/category/",
        {
            "category": "suspected_spinal_metastases",
            "reason": "Weakness is long-standing, unchanged for a year.",
        },
        follow=True,
    )
    body = html(response)
    assert "Category changed to Suspected spinal metastases (urgent)." in body
    assert "Changed by the coordinator from" in body
    assert MSCC_LABEL in body  # the triage rules' category is still shown
    assert "unchanged for a year" in body
    assert "NG234 1.3.3" in body  # advice follows the new category
    referral.refresh_from_db()
    assert referral.category == "suspected_spinal_metastases"
    assert referral.triage_category == "suspected_mscc"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"category": "safety_net", "reason": ""}, "reason", "This field is required."),
        ({"category": "suspected_mscc", "reason": "x"}, "__all__", "already suspected_mscc"),
        ({"category": "bogus", "reason": "x"}, "category", "Unknown code"),
    ],
)
def test_category_change_errors_re_render(
    world: Any, make_referral: Any, data: dict[str, str], field: str, message: str
) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(f"/referrals/{referral.pk}/category/", data)
    assert response.status_code == 200
    assert message in html(response)
    assert response.context["errors"][field]
    referral.refresh_from_db()
    assert referral.category == "suspected_mscc"


# --- Access records ------------------------------------------------------------------------


def test_pages_record_who_saw_which_referrals(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    ids = [str(referral.pk)]
    signed_in(world.coordinator).get(f"/referrals/{referral.pk}/")
    signed_in(world.coordinator).get("/queue/")
    signed_in(world.coordinator).get("/queue/rows/")
    signed_in(world.coordinator).get("/queue/print/")
    signed_in(world.referrer).get("/referrals/mine/")
    rows = {(a.user.username, a.view): a for a in PatientDataAccess.objects.all()}
    assert rows[("coordinator", "page.referral_detail")].referral_ids == ids
    assert rows[("coordinator", "page.referral_detail")].path == f"/referrals/{referral.pk}/"
    assert rows[("coordinator", "page.queue")].referral_ids == ids
    assert rows[("coordinator", "page.queue.rows")].referral_ids == ids
    assert rows[("coordinator", "page.queue.print")].referral_ids == ids
    assert rows[("referrer", "page.referral_list")].referral_ids == ids


def test_no_access_record_for_a_refused_or_empty_page(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    signed_in(world.referrer_other).get(f"/referrals/{referral.pk}/")
    signed_in(world.lead).get("/queue/")
    signed_in(world.coordinator_other).get("/queue/")
    assert not PatientDataAccess.objects.exists()


# --- The stopped-worker banner --------------------------------------------------------------

BANNER = "Escalations may not be running"


def test_banner_when_the_sweep_never_ran(world: Any) -> None:
    body = html(signed_in(world.coordinator).get("/queue/"))
    assert BANNER in body
    assert "has not run at all" in body


def test_banner_says_how_long_the_sweep_has_been_silent(world: Any) -> None:
    heartbeat_record(name="sweep", at=timezone.now() - timedelta(minutes=10, seconds=5))
    body = html(signed_in(world.senior).get("/queue/"))
    assert (
        "Escalations may not be running: the escalation sweep has not run for "
        "10 minutes." in " ".join(body.split())
    )
    assert "Check the queue by hand." in body


def test_banner_once_the_sweep_is_more_than_two_minutes_old(world: Any) -> None:
    heartbeat_record(name="sweep", at=timezone.now() - timedelta(seconds=110))
    assert BANNER not in html(signed_in(world.coordinator).get("/queue/"))
    heartbeat_record(name="sweep", at=timezone.now() - timedelta(seconds=125))
    assert BANNER in html(signed_in(world.coordinator).get("/queue/"))


def test_banner_on_every_coordinator_page(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    for url in ("/referrals/new/", "/referrals/mine/", f"/referrals/{referral.pk}/"):
        assert BANNER in html(client.get(url))


def test_no_banner_while_the_sweep_runs(world: Any) -> None:
    heartbeat_record(name="sweep", at=timezone.now())
    assert BANNER not in html(signed_in(world.coordinator).get("/queue/"))


def test_no_banner_for_referrers(world: Any) -> None:
    assert BANNER not in html(signed_in(world.referrer).get("/referrals/new/"))


def test_the_referral_page_takes_how_the_imaging_was_done(world: Any) -> None:
    """Only a whole-spine MRI starts the MRI clock met (issue 8); the page
    asks for the modality and passes it on like the API."""
    from pathways.models import Clock

    page = html(signed_in(world.referrer).get("/referrals/new/"))
    assert 'name="imaging_modality"' in page
    for modality, status in (("mri_whole_spine", "met"), ("ct", "running")):
        signed_in(world.referrer).post(
            "/referrals/new/",
            form_post(imaging_findings="cord_compression", imaging_modality=modality),
        )
        referral = Referral.objects.latest("received_at")
        assert referral.imaging_modality == modality
        assert Clock.objects.get(referral=referral, kind="mri").status == status
