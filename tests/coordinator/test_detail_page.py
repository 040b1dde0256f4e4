"""The referral page as the coordinator's working page: clocks, advice,
timeline, MDT decisions and scores, and the forms that record events,
withdrawals, status moves, MDT decisions, "not appropriate" clocks and scores,
answered in place with htmx or by POST-redirect-GET without it."""

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from coordinator.services import referral_event_add, referral_mdt_record
from pathways.models import ClinicalEvent, Clock, MdtDecision, ScoreRecord
from referrals.models import PatientDataAccess, Referral
from tests.conftest import hours
from tests.page_helpers import fragment, html, signed_in, swapped, text

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}
SINS = {
    "location": "junctional",
    "pain": "mechanical",
    "bone_lesion": "lytic",
    "alignment": "normal",
    "collapse": "under_50",
    "posterolateral": "unilateral",
}
TOKUHASHI = {
    "karnofsky": "70",
    "extraspinal_bone_metastases": "2",
    "vertebral_metastases": "1",
    "visceral_metastases": "none",
    "primary_site": "breast",
    "frankel": "E",
}
LIVE = ("summary", "advice", "clocks", "timeline", "mdt", "scores")


def local(value: datetime) -> str:
    """A datetime-local input's value: UK wall-clock time."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def page_of(referral: Referral) -> str:
    return f"/referrals/{referral.pk}/"


def clock(referral: Referral, kind: str) -> Clock:
    return referral.clocks.filter(kind=kind).order_by("-started_at").first()


def mdt_post(**overrides: str) -> dict[str, str]:
    data = {
        "decided_at": local(timezone.now() - timedelta(minutes=5)),
        "participants": "Dr Oncologist (clinical oncology), Ms Coordinator",
        "decision": "radiotherapy",
        "reasons": "Not fit for surgery; cord compression at T8.",
        "care_plan": "8 Gy single fraction today; dexamethasone continued.",
    }
    data.update(overrides)
    return data


# --- What the page shows -------------------------------------------------------------------


def test_coordinator_page_has_every_panel_and_form(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    body = html(signed_in(world.coordinator).get(page_of(referral)))
    for heading in (
        "Clocks",
        "Advice now",
        "Timeline",
        "MDT decisions and care plan",
        "Scores",
        "Record an event",
        "Record an MDT decision",
        "Change status",
        "Record a SINS score",
        "Record a revised Tokuhashi score",
        "Change category",
    ):
        assert f">{heading}</h" in body, heading
    # Human words for the codes, and every input labelled.
    assert '<option value="mri_performed">MRI performed</option>' in body
    assert '<option value="radiotherapy">Radiotherapy</option>' in body
    assert "Junctional (occiput-C2, C7-T2, T11-L1, L5-S1): 3 points" in body
    assert "70%: cares for self" in body
    inputs = re.findall(r'<(?:input|select|textarea)[^>]*\sid="([^"]+)"', body)
    assert inputs
    for input_id in inputs:
        assert f'for="{input_id}"' in body, input_id
    assert len(inputs) == len(set(inputs)), "ids must be unique on the page"
    assert "NG234 1.9.3" in body
    assert "never replaces, a full clinical assessment" in body


def test_clocks_panel_shows_state_countdown_and_standard(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    panel = text(fragment(html(signed_in(world.coordinator).get(page_of(referral))), "clocks"))
    assert "Acknowledgement Target 30 min Running" in panel
    assert "MRI Target 24 h Running" in panel
    assert re.search(r"23 h 5\d min left", panel)
    assert "NG234 1.5.2; QS56 statement 3" in panel
    assert "Mark not appropriate" in panel  # the action, per clock


def test_overdue_clocks_say_so_in_words(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - hours(30))
    panel = fragment(html(signed_in(world.coordinator).get(page_of(referral))), "clocks")
    assert '<span class="badge badge--overdue">OVERDUE</span>' in panel
    assert "OVERDUE by 6 h" in text(panel)


def test_referrer_sees_the_page_read_only(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    referral_event_add(
        referral=referral,
        user=world.coordinator,
        now=timezone.now(),
        kind="mri_performed",
        occurred_at=timezone.now(),
    )
    body = html(signed_in(world.referrer).get(page_of(referral)))
    assert "MRI performed" in text(fragment(body, "timeline"))
    assert ">Clocks</h2>" in body
    assert ">Scores</h2>" in body
    # The only form is signing out.
    assert re.findall(r"<form[^>]*action=\"([^\"]+)\"", body) == ["/accounts/logout/"]
    for absent in ("Record an event", "Withdraw (entered in error)", "Change status", "hx-post"):
        assert absent not in body


def test_status_moves_are_only_the_allowed_ones(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)

    def offered() -> list[str]:
        select = fragment(html(client.get(page_of(referral))), "f-status-status")
        return re.findall(r'<option value="(\w+)"', select)

    assert offered() == ["triaged", "closed_not_mscc", "redirected", "withdrawn", "died"]
    client.post(f"/referrals/{referral.pk}/events/", {"kind": "acknowledged"})
    assert offered() == [
        "investigating",
        "treatment_planned",
        "closed_not_mscc",
        "redirected",
        "withdrawn",
        "died",
    ]


# --- Record an event -----------------------------------------------------------------------


def test_record_event_without_javascript_redirects_to_the_page(
    world: Any, make_referral: Any
) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    response = client.post(
        f"/referrals/{referral.pk}/events/",
        {"kind": "mri_performed", "occurred_at": "", "details": "Whole spine, T8 compression."},
    )
    assert response.status_code == 302
    assert response["Location"] == page_of(referral)
    body = html(client.get(page_of(referral)))
    assert "Recorded: MRI performed." in body
    assert clock(referral, "mri").status == "met"
    assert "Whole spine, T8 compression." in text(fragment(body, "timeline"))
    assert "Met" in text(fragment(body, "clocks"))


def test_record_event_with_htmx_swaps_the_changed_panels(world: Any, make_referral: Any) -> None:
    referral = make_referral(now=timezone.now() - hours(3))
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/events/",
        {"kind": "mri_performed", "occurred_at": local(timezone.now() - timedelta(hours=1))},
        **HX,
    )
    assert response.status_code == 200
    body = html(response)
    assert swapped(body) >= {*LIVE, "form-event", "heartbeat-banner"}
    assert "form-mdt" not in swapped(body)  # a form being typed elsewhere is left alone
    assert "<html" not in body
    mri_row = text(fragment(body, f"clock-{clock(referral, 'mri').pk}"))
    assert "Met" in mri_row and "after" in mri_row
    assert "NG234 1.5.2" not in fragment(body, "advice")  # MRI advice done with
    assert "MRI performed" in text(fragment(body, "timeline"))
    assert "Recorded: MRI performed." in text(fragment(body, "form-event"))
    assert 'hx-swap-oob="innerHTML"><p>Recorded: MRI performed.</p>' in body


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("post", "field", "message"),
    [
        ({"kind": ""}, "kind", "This field is required."),
        ({"kind": "bogus"}, "kind", "Unknown code"),
        (
            {"kind": "mri_performed", "occurred_at": "2099-01-01T10:00"},
            "occurred_at",
            "An event cannot be in the future.",
        ),
        ({"kind": "entered_in_error"}, "__all__", "Name the event entered in error."),
    ],
)
def test_bad_event_re_renders_with_the_error_and_stores_nothing(
    world: Any,
    make_referral: Any,
    htmx: bool,
    post: dict[str, str],
    field: str,
    message: str,
) -> None:
    referral = make_referral()
    before = ClinicalEvent.objects.count()
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/events/", post, **(HX if htmx else {})
    )
    assert response.status_code == 200
    body = html(response)
    form = fragment(body, "form-event")
    assert message in form
    assert "Nothing was recorded" in form
    if field != "__all__":
        assert f'id="f-event-{field}"' in form
        assert 'aria-invalid="true"' in form
    assert ClinicalEvent.objects.count() == before
    assert clock(referral, "mri").status == "running"
    if htmx:
        # The error is said in the form, as an error, and nothing is laid over
        # the fields: no corner notice (issue 11; it was a green one).
        assert swapped(body) == {"form-event", "heartbeat-banner", "detail-notice"}
        assert not text(fragment(body, "detail-notice"))  # emptied, not a green "Recorded"
        assert '<p class="form-problem" role="alert"><strong>Error:</strong>' in form
    else:
        assert "There is a problem" in body
        assert 'href="#form-event"' in body


def test_acknowledge_button_answers_in_place(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    assert ">Acknowledge</button>" in html(client.get(page_of(referral)))
    response = client.post(
        f"/referrals/{referral.pk}/events/", {"form": "acknowledge", "kind": "acknowledged"}, **HX
    )
    body = html(response)
    summary = text(fragment(body, "summary"))
    assert "Triaged" in summary and "by Coordinator" in summary
    assert ">Acknowledge</button>" not in body
    # The status moved: the forms that depend on it are answered too.
    assert {"form-status", "form-event", "form-mdt"} <= swapped(body)
    # Acknowledging is no longer offered as an event.
    assert "Acknowledged by the coordinator" not in fragment(body, "form-event")
    again = client.post(
        f"/referrals/{referral.pk}/events/", {"form": "acknowledge", "kind": "acknowledged"}
    )
    assert "Already acknowledged by Coordinator" in html(again)


# --- Withdraw an event ------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_withdrawn_event_is_struck_through_with_its_reason(
    world: Any, make_referral: Any, htmx: bool
) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{referral.pk}/events/", {"kind": "mri_performed"})
    event = referral.events.get(kind="mri_performed")
    assert clock(referral, "mri").status == "met"

    response = client.post(
        f"/referrals/{referral.pk}/events/{event.pk}/withdraw/",
        {"reason": "Wrong patient's scan."},
        follow=not htmx,
        **(HX if htmx else {}),
    )
    body = html(response)
    assert "Withdrawn as entered in error: MRI performed." in body
    if htmx:
        assert {"timeline", "clocks", "advice"} <= swapped(body)
    else:
        assert response.redirect_chain == [(page_of(referral), 302)]
    item = fragment(body, f"event-{event.pk}")
    assert "<s" in item and "Withdrawn" in item
    assert "Entered in error: Wrong patient&#x27;s scan." in item
    assert "Withdraw (entered in error)" not in item
    assert clock(referral, "mri").status == "running"
    assert "Running" in text(fragment(body, "clocks"))
    # Shown on the event it withdraws, not as an entry of its own.
    assert text(fragment(body, "timeline")).count("Entered in error") == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_withdrawal_needs_a_reason(world: Any, make_referral: Any, htmx: bool) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{referral.pk}/events/", {"kind": "mri_performed"})
    event = referral.events.get(kind="mri_performed")
    response = client.post(
        f"/referrals/{referral.pk}/events/{event.pk}/withdraw/",
        {"reason": "  "},
        **(HX if htmx else {}),
    )
    body = html(response)
    item = fragment(body, f"event-{event.pk}")
    assert "Say why the event was entered in error." in item
    assert '<details class="row-form" open>' in item
    assert f'id="f-withdraw-{event.pk}-reason"' in item
    assert not referral.events.filter(kind="entered_in_error").exists()
    assert clock(referral, "mri").status == "met"
    if htmx:
        assert swapped(body) == {"timeline", "heartbeat-banner", "detail-notice"}


def test_withdrawing_another_referrals_event_is_404(world: Any, make_referral: Any) -> None:
    mine, other = make_referral(), make_referral()
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{other.pk}/events/", {"kind": "mri_performed"})
    event = other.events.get(kind="mri_performed")
    response = client.post(
        f"/referrals/{mine.pk}/events/{event.pk}/withdraw/", {"reason": "Not mine."}
    )
    assert response.status_code == 404
    assert not ClinicalEvent.objects.filter(kind="entered_in_error").exists()


# --- Status ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("post", "errors"),
    [
        ({"status": "treating"}, {"status": "cannot move from received to treating"}),
        (
            {"status": "redirected"},
            {
                "reason": "Needed to move a referral to redirected.",
                "redirected_to": "Needed to move a referral to redirected.",
            },
        ),
        ({"status": "died"}, {"occurred_at": "Needed to move a referral to died."}),
        ({"status": "nonsense"}, {"status": "Unknown code"}),
    ],
)
def test_refused_status_moves_name_the_input(
    world: Any, make_referral: Any, post: dict[str, str], errors: dict[str, str]
) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(f"/referrals/{referral.pk}/status/", post, **HX)
    form = fragment(html(response), "form-status")
    for name, message in errors.items():
        assert message in form
        assert f'id="f-status-{name}-error1"' in form
    referral.refresh_from_db()
    assert referral.status == "received"


def test_closing_a_referral_stops_the_forms(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    response = client.post(
        f"/referrals/{referral.pk}/status/",
        {"status": "withdrawn", "reason": "Referred to the wrong service."},
        **HX,
    )
    body = html(response)
    referral.refresh_from_db()
    assert referral.status == "withdrawn"
    summary = text(fragment(body, "summary"))
    assert "Status Withdrawn" in summary
    assert "Referred to the wrong service." in summary
    assert "no further events can be recorded" in fragment(body, "form-event")
    assert "its status cannot change" in fragment(body, "form-status")
    assert "Cancelled" in text(fragment(body, "clocks"))


def test_status_change_without_javascript(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{referral.pk}/events/", {"kind": "acknowledged"})
    response = client.post(
        f"/referrals/{referral.pk}/status/", {"status": "investigating"}, follow=True
    )
    assert "Status changed to Investigating." in html(response)
    referral.refresh_from_db()
    assert referral.status == "investigating"


# --- MDT decisions ------------------------------------------------------------------------------


def test_radiotherapy_decision_starts_its_clock_and_advice(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(f"/referrals/{referral.pk}/mdt/", mdt_post(), **HX)
    body = html(response)
    rt = clock(referral, "radiotherapy")
    assert rt.status == "running"
    assert rt.due_at - rt.started_at == timedelta(hours=24)
    row = text(fragment(body, f"clock-{rt.pk}"))
    assert "Radiotherapy Target 24 h Running" in row
    assert re.search(r"23 h \d\d min left", row)
    assert "NG234 1.10.4, 1.1.21" in row
    advice = text(fragment(body, "advice"))
    assert "NG234 1.10.5 Use 8 Gy single fraction" in advice
    assert "NG234 1.10.4" in advice and "NG234 1.10.1" in advice
    mdt = text(fragment(body, "mdt"))
    assert "Radiotherapy decided" in mdt
    assert "Dr Oncologist (clinical oncology)" in mdt
    assert "8 Gy single fraction today" in mdt
    assert "Not fit for surgery" in mdt
    assert "Decision to treat with radiotherapy" in text(fragment(body, "timeline"))
    assert "form-mdt" in swapped(body)


def test_high_risk_of_side_effects_changes_the_advice(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    response = client.post(
        f"/referrals/{referral.pk}/mdt/",
        mdt_post(high_risk_of_side_effects="on"),
        follow=True,
    )
    advice = text(fragment(html(response), "advice"))
    assert "NG234 1.10.6" in advice
    assert "NG234 1.10.5" not in advice
    assert MdtDecision.objects.get(referral=referral).high_risk_of_side_effects


@pytest.mark.parametrize("htmx", [False, True])
def test_incomplete_mdt_decision_stores_nothing(world: Any, make_referral: Any, htmx: bool) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/mdt/",
        mdt_post(decided_at="", care_plan="", decision="chemo"),
        **(HX if htmx else {}),
    )
    form = fragment(html(response), "form-mdt")
    assert 'id="f-mdt-decided_at-error1"' in form
    assert 'id="f-mdt-care_plan-error1"' in form
    assert "Unknown code" in form
    assert "Dr Oncologist (clinical oncology)" in form  # what was typed is kept
    assert not MdtDecision.objects.exists()
    assert not referral.clocks.filter(kind="radiotherapy").exists()


def test_future_mdt_decision_is_refused_by_the_service(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/mdt/",
        mdt_post(decided_at=local(timezone.now() + timedelta(days=1))),
        **HX,
    )
    form = fragment(html(response), "form-mdt")
    assert "An event cannot be in the future." in form
    assert 'id="f-mdt-decided_at-error1"' in form  # beside the input it is about
    assert not MdtDecision.objects.exists()


# --- Clocks marked not appropriate -----------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_clock_marked_not_appropriate_with_its_reason(
    world: Any, make_referral: Any, htmx: bool
) -> None:
    referral = make_referral()
    mri = clock(referral, "mri")
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/clocks/{mri.pk}/not-appropriate/",
        {"reason": "Declined MRI after discussion."},
        follow=not htmx,
        **(HX if htmx else {}),
    )
    body = html(response)
    if htmx:
        assert {"clocks", "advice", "timeline"} <= swapped(body)
    else:
        assert response.redirect_chain == [(page_of(referral), 302)]
    row = text(fragment(body, f"clock-{mri.pk}"))
    assert "Not appropriate" in row
    assert "Reason: Declined MRI after discussion." in row
    assert "Marked by Coordinator" in row
    assert "Mark not appropriate" not in row
    mri.refresh_from_db()
    assert mri.not_appropriate and mri.status == "cancelled"
    assert "MRI clock marked not appropriate." in body


@pytest.mark.parametrize("htmx", [False, True])
def test_not_appropriate_needs_a_reason(world: Any, make_referral: Any, htmx: bool) -> None:
    referral = make_referral()
    mri = clock(referral, "mri")
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/clocks/{mri.pk}/not-appropriate/",
        {"reason": ""},
        **(HX if htmx else {}),
    )
    row = fragment(html(response), f"clock-{mri.pk}")
    assert "This field is required." in row
    assert '<details class="row-form" open>' in row
    mri.refresh_from_db()
    assert not mri.not_appropriate and mri.status == "running"


def test_another_referrals_clock_is_404(world: Any, make_referral: Any) -> None:
    mine, other = make_referral(), make_referral()
    response = signed_in(world.coordinator).post(
        f"/referrals/{mine.pk}/clocks/{clock(other, 'mri').pk}/not-appropriate/",
        {"reason": "x"},
    )
    assert response.status_code == 404


# --- Scores --------------------------------------------------------------------------------------


def test_scores_are_recorded_and_shown(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    response = client.post(f"/referrals/{referral.pk}/scores/sins/", SINS, **HX)
    body = html(response)
    assert {"scores", "form-sins"} <= swapped(body)
    scores = text(fragment(body, "scores"))
    assert "SINS (Spinal Instability Neoplastic Score) 11 : Indeterminate" in scores
    assert "Location: Junctional (occiput-C2, C7-T2, T11-L1, L5-S1) (3)" in scores
    assert "by Coordinator" in scores
    assert "recorded: 11" in text(fragment(body, "form-sins"))

    response = client.post(f"/referrals/{referral.pk}/scores/tokuhashi/", TOKUHASHI, follow=True)
    scores = text(fragment(html(response), "scores"))
    # Karnofsky 70: 1, two extraspinal foci: 1, one vertebral: 2, no visceral: 2,
    # breast: 5, Frankel E: 2.
    assert "Revised Tokuhashi score 13 : 12 to 15 points" in scores
    assert "a year or more" in scores
    assert "Karnofsky performance status: 70%: cares for self" in scores
    record = ScoreRecord.objects.get(kind="tokuhashi")
    assert record.inputs["karnofsky"] == 70
    assert record.recorded_by == world.coordinator


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize(
    ("kind", "post", "errors"),
    [
        ("sins", {**SINS, "pain": ""}, {"pain": "never totalled without it"}),
        ("sins", {**SINS, "location": "lumbar"}, {"location": "Unknown code"}),
        (
            "tokuhashi",
            {**TOKUHASHI, "karnofsky": "75", "vertebral_metastases": "0"},
            {"karnofsky": "steps of 10", "vertebral_metastases": "greater than or equal to 1"},
        ),
        (
            "tokuhashi",
            {**TOKUHASHI, "extraspinal_bone_metastases": "many"},
            {"extraspinal_bone_metastases": "A valid integer is required."},
        ),
    ],
)
def test_bad_score_inputs_are_named_and_nothing_is_stored(
    world: Any,
    make_referral: Any,
    htmx: bool,
    kind: str,
    post: dict[str, str],
    errors: dict[str, str],
) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(
        f"/referrals/{referral.pk}/scores/{kind}/", post, **(HX if htmx else {})
    )
    form = fragment(html(response), f"form-{kind}")
    for name, message in errors.items():
        assert message in form
        assert f'id="f-{kind}-{name}-error1"' in form
    assert not ScoreRecord.objects.exists()


def test_unknown_score_kind_is_404(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = signed_in(world.coordinator).post(f"/referrals/{referral.pk}/scores/apgar/", {})
    assert response.status_code == 404


# --- Who may post ------------------------------------------------------------------------------


def _action_urls(referral: Referral) -> list[tuple[str, dict[str, str]]]:
    mri = clock(referral, "mri")
    event = referral.events.first()
    return [
        (f"/referrals/{referral.pk}/events/", {"kind": "mri_performed"}),
        (f"/referrals/{referral.pk}/events/{event.pk}/withdraw/", {"reason": "x"}),
        (f"/referrals/{referral.pk}/status/", {"status": "withdrawn", "reason": "x"}),
        (f"/referrals/{referral.pk}/mdt/", mdt_post()),
        (f"/referrals/{referral.pk}/clocks/{mri.pk}/not-appropriate/", {"reason": "x"}),
        (f"/referrals/{referral.pk}/scores/sins/", SINS),
        (f"/referrals/{referral.pk}/scores/tokuhashi/", TOKUHASHI),
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("referrer", 403), ("lead", 403), ("admin", 403), ("coordinator_other", 404)],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_posts_refused_to_other_roles_and_services(
    world: Any, make_referral: Any, who: str, expected: int, htmx: bool
) -> None:
    referral = make_referral()
    referral_event_add(
        referral=referral,
        user=world.coordinator,
        now=timezone.now(),
        kind="dexamethasone_given",
        occurred_at=timezone.now(),
    )
    events = ClinicalEvent.objects.count()
    client = signed_in(world.all_users()[who])
    for url, data in _action_urls(referral):
        response = client.post(url, data, **(HX if htmx else {}))
        assert response.status_code == expected, url
    assert ClinicalEvent.objects.count() == events
    assert not MdtDecision.objects.exists()
    assert not ScoreRecord.objects.exists()
    assert not Clock.objects.filter(not_appropriate=True).exists()
    referral.refresh_from_db()
    assert referral.status == "received"
    assert not PatientDataAccess.objects.filter(user=world.all_users()[who]).exists()


def test_senior_clinician_may_record(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = signed_in(world.senior).post(f"/referrals/{referral.pk}/mdt/", mdt_post(), **HX)
    assert response.status_code == 200
    assert MdtDecision.objects.get().recorded_by == world.senior


def test_signed_out_post_goes_to_sign_in(client: Client, world: Any, make_referral: Any) -> None:
    referral = make_referral()
    response = client.post(f"/referrals/{referral.pk}/events/", {"kind": "mri_performed"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert not ClinicalEvent.objects.filter(kind="mri_performed").exists()


def test_actions_are_post_only(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    client.post(f"/referrals/{referral.pk}/events/", {"kind": "admitted"})
    for url, _ in _action_urls(referral):
        assert client.get(url).status_code == 405, url


# --- The live refresh and access records ----------------------------------------------------


def test_live_refresh_answers_the_panels(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    body = html(signed_in(world.referrer).get(f"/referrals/{referral.pk}/live/", **HX))
    assert swapped(body) == set(LIVE)  # a referrer is shown no worker banner
    assert "left" in text(fragment(body, "clocks"))
    page = html(signed_in(world.referrer).get(page_of(referral)))
    # Every 30 s; pages.js skips a refresh while a form is open (a trigger
    # filter would be evaluated as a string, which the CSP forbids).
    assert 'id="live-refresh" hidden hx-get=' in page
    assert 'hx-trigger="every 30s"' in page
    assert signed_in(world.referrer_other).get(f"/referrals/{referral.pk}/live/").status_code == 404


def test_every_view_and_action_records_access(world: Any, make_referral: Any) -> None:
    referral = make_referral()
    ids = [str(referral.pk)]
    client = signed_in(world.coordinator)
    client.get(page_of(referral))
    client.get(f"/referrals/{referral.pk}/live/", **HX)
    client.post(f"/referrals/{referral.pk}/events/", {"kind": "mri_performed"}, **HX)
    client.post(f"/referrals/{referral.pk}/mdt/", mdt_post(), **HX)
    client.post(f"/referrals/{referral.pk}/scores/sins/", {}, **HX)  # refused: still shown
    client.post(f"/referrals/{referral.pk}/status/", {"status": "bogus"})  # whole page again
    rows = list(PatientDataAccess.objects.order_by("id").values_list("view", "referral_ids"))
    assert rows == [
        ("page.referral_detail", ids),
        ("page.referral_detail.live", ids),
        ("page.referral_detail.event", ids),
        ("page.referral_detail.mdt", ids),
        ("page.referral_detail.sins", ids),
        ("page.referral_detail", ids),
    ]
    assert {a.user for a in PatientDataAccess.objects.all()} == {world.coordinator}


def test_the_timeline_is_in_time_order_with_who_recorded_it(world: Any, make_referral: Any) -> None:
    now = timezone.now()
    referral = make_referral(now=now - hours(6))
    for kind, ago in (("dexamethasone_given", 2), ("mri_requested", 5), ("admitted", 4)):
        referral_event_add(
            referral=referral,
            user=world.coordinator,
            now=now,
            kind=kind,
            occurred_at=now - hours(ago),
            details=f"{kind} details",
        )
    referral_mdt_record(
        referral=referral,
        user=world.senior,
        now=now,
        decided_at=now - hours(1),
        participants="MDT",
        decision="surgery",
        reasons="Unstable spine.",
        care_plan="Fixation tomorrow.",
    )
    timeline = text(fragment(html(signed_in(world.coordinator).get(page_of(referral))), "timeline"))
    order = [
        "Referral received from GP-A1",
        "MRI requested",
        "Admitted",
        "Dexamethasone given",
        "Decision to treat with surgery",
    ]
    positions = [timeline.index(title) for title in order]
    assert positions == sorted(positions)
    assert "recorded by Coordinator" in timeline
    assert "recorded by Senior" in timeline
    assert "dexamethasone_given details" in timeline


def test_a_closure_entered_in_error_is_reopened_from_the_page(
    world: Any, make_referral: Any
) -> None:
    referral = make_referral()
    client = signed_in(world.coordinator)
    client.post(
        f"/referrals/{referral.pk}/status/",
        {"status": "withdrawn", "reason": "Referred to the wrong service."},
        **HX,
    )
    page = html(client.get(f"/referrals/{referral.pk}/"))
    form = fragment(page, "form-status")
    assert "entered in error" in form
    assert 'name="status" value="received"' in form

    refused = html(client.post(f"/referrals/{referral.pk}/status/", {"status": "received"}, **HX))
    assert "reason" in fragment(refused, "form-status").lower()
    referral.refresh_from_db()
    assert referral.status == "withdrawn"

    body = html(
        client.post(
            f"/referrals/{referral.pk}/status/",
            {"status": "received", "reason": "Closed the wrong patient's referral."},
            **HX,
        )
    )
    referral.refresh_from_db()
    assert referral.status == "received"
    assert "Change status" in fragment(body, "form-status")
    assert "Cancelled" not in text(fragment(body, "clocks"))
