"""The scoring API (NG234 1.9): calculate SINS and revised Tokuhashi scores,
and record them on a referral. Strict inputs, per-role access, scoped
referrals, and nothing stored on a refused request."""

from typing import Any

import pytest

from core.permissions import ACTION_ROLES
from pathways.api import urls as pathways_urls
from pathways.models import ScoreRecord
from referrals.models import PatientDataAccess

SINS_URL = "/api/v1/scores/sins/"
TOKUHASHI_URL = "/api/v1/scores/tokuhashi/"

SINS_BODY = {
    "location": "junctional",
    "pain": "mechanical",
    "bone_lesion": "lytic",
    "alignment": "normal",
    "collapse": "under_50",
    "posterolateral": "unilateral",
}  # 3 + 3 + 2 + 0 + 2 + 1 = 11: indeterminate
TOKUHASHI_BODY = {
    "karnofsky": 70,
    "extraspinal_bone_metastases": 1,
    "vertebral_metastases": 2,
    "visceral_metastases": "none",
    "primary_site": "prostate",
    "frankel": "D",
}  # 1 + 1 + 1 + 2 + 5 + 1 = 11: 9-11


def scores_url(referral: Any) -> str:
    return f"/api/v1/referrals/{referral.pk}/scores/"


USERS = [
    "anonymous",
    "referrer",
    "referrer_same_alliance",
    "referrer_other",
    "coordinator",
    "senior",
    "coordinator_other",
    "lead",
    "admin",
]
CALCULATE = {
    "anonymous": 401,
    "referrer": 200,
    "referrer_same_alliance": 200,
    "referrer_other": 200,
    "coordinator": 200,
    "senior": 200,
    "coordinator_other": 200,
    "lead": 403,
    "admin": 403,
}
# The referral is made by "referrer" (GP-A1) to A-MSCC.
RECORD = {
    "anonymous": 401,
    "referrer": 403,
    "referrer_same_alliance": 403,
    "referrer_other": 403,
    "coordinator": 201,
    "senior": 201,
    "coordinator_other": 404,
    "lead": 403,
    "admin": 403,
}
LIST = {who: 200 if code == 201 else code for who, code in RECORD.items()}


def client_for(world, api, who: str):
    return api(None if who == "anonymous" else world.all_users()[who])


# --- Who may call what ------------------------------------------------------------


@pytest.mark.parametrize("who", USERS)
@pytest.mark.parametrize(("url", "body"), [(SINS_URL, SINS_BODY), (TOKUHASHI_URL, TOKUHASHI_BODY)])
def test_calculate_as_every_role(world, api, who, url, body):
    response = client_for(world, api, who).post(url, body, format="json")
    assert response.status_code == CALCULATE[who], (who, response.content)


@pytest.mark.parametrize("who", USERS)
def test_record_as_every_role(world, api, referral, who):
    response = client_for(world, api, who).post(
        scores_url(referral), {"kind": "sins", "inputs": SINS_BODY}, format="json"
    )
    assert response.status_code == RECORD[who], (who, response.content)
    assert ScoreRecord.objects.count() == (1 if RECORD[who] == 201 else 0)


@pytest.mark.parametrize("who", USERS)
def test_list_as_every_role(world, api, referral, who):
    response = client_for(world, api, who).get(scores_url(referral))
    assert response.status_code == LIST[who], (who, response.content)


def test_every_scoring_action_has_its_roles_declared():
    for pattern in pathways_urls.urlpatterns:
        view = pattern.callback.view_class
        actions = getattr(view, "permission_actions", None) or {"*": view.permission_action}
        for action in actions.values():
            assert action in ACTION_ROLES, (view, action)


def test_intended_roles():
    assert {str(r) for r in ACTION_ROLES["score_calculate"]} == {
        "referrer",
        "coordinator",
        "senior_clinician",
    }
    assert {str(r) for r in ACTION_ROLES["score_record"]} == {"coordinator", "senior_clinician"}


def test_recording_on_a_referral_that_does_not_exist_is_404(coordinator, api):
    url = "/api/v1/referrals/00000000-0000-0000-0000-000000000000/scores/"
    response = api(coordinator).post(url, {"kind": "sins", "inputs": SINS_BODY}, format="json")
    assert response.status_code == 404


def test_another_services_referral_is_404_even_with_a_bad_body(world, api, referral):
    # The scope is checked before the body, so a 400 cannot reveal the referral exists.
    response = api(world.coordinator_other).post(
        scores_url(referral), {"kind": "sins", "inputs": {}}, format="json"
    )
    assert response.status_code == 404
    assert ScoreRecord.objects.count() == 0


# --- Calculating -------------------------------------------------------------------


def test_sins_answers_score_band_components_and_note(referrer, api):
    response = api(referrer).post(SINS_URL, SINS_BODY, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"score", "band", "components", "note"}
    assert body["score"] == 11
    assert body["band"] == "indeterminate"
    assert body["components"] == {
        "location": 3,
        "pain": 3,
        "bone_lesion": 2,
        "alignment": 0,
        "collapse": 2,
        "posterolateral": 1,
    }
    assert "NG234 1.9.3" in body["note"]
    assert ScoreRecord.objects.count() == 0  # calculating stores nothing


def test_tokuhashi_answers_score_band_survival_components_and_note(coordinator, api):
    response = api(coordinator).post(TOKUHASHI_URL, TOKUHASHI_BODY, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"score", "band", "predicted_survival", "components", "note"}
    assert (body["score"], body["band"], body["predicted_survival"]) == (
        11,
        "9-11",
        "6 months or more",
    )
    assert body["components"] == {
        "karnofsky": 1,
        "extraspinal_bone_metastases": 1,
        "vertebral_metastases": 1,
        "visceral_metastases": 2,
        "primary_site": 5,
        "frankel": 1,
    }
    assert "NG234 1.9.3" in body["note"]


@pytest.mark.parametrize(
    ("body", "score", "band"),
    [
        (
            {**SINS_BODY, "collapse": "none", "posterolateral": "none", "bone_lesion": "blastic"},
            6,
            "stable",
        ),
        (
            {
                **SINS_BODY,
                "collapse": "none",
                "posterolateral": "unilateral",
                "bone_lesion": "blastic",
            },
            7,
            "indeterminate",
        ),
        ({**SINS_BODY, "collapse": "none_over_50_involved"}, 10, "indeterminate"),
        ({**SINS_BODY, "alignment": "deformity"}, 13, "unstable"),
    ],
)
def test_sins_bands_over_http(senior_clinician, api, body, score, band):
    response = api(senior_clinician).post(SINS_URL, body, format="json")
    assert (response.json()["score"], response.json()["band"]) == (score, band)


@pytest.mark.parametrize(
    ("changes", "score", "band"),
    [
        ({"frankel": "A", "extraspinal_bone_metastases": 3, "vertebral_metastases": 3}, 8, "0-8"),
        ({"frankel": "A", "extraspinal_bone_metastases": 3}, 9, "9-11"),
        ({}, 11, "9-11"),
        ({"karnofsky": 80}, 12, "12-15"),
    ],
)
def test_tokuhashi_bands_over_http(senior_clinician, api, changes, score, band):
    response = api(senior_clinician).post(TOKUHASHI_URL, TOKUHASHI_BODY | changes, format="json")
    assert (response.json()["score"], response.json()["band"]) == (score, band)


@pytest.mark.parametrize(("url", "body"), [(SINS_URL, SINS_BODY), (TOKUHASHI_URL, TOKUHASHI_BODY)])
def test_each_missing_component_is_a_400_naming_it(coordinator, api, url, body):
    for component in body:
        partial = {k: v for k, v in body.items() if k != component}
        response = api(coordinator).post(url, partial, format="json")
        assert response.status_code == 400, component
        errors = response.json()
        assert list(errors) == [component]
        assert "required" in errors[component][0]
        assert "score" not in errors


@pytest.mark.parametrize(("url", "body"), [(SINS_URL, SINS_BODY), (TOKUHASHI_URL, TOKUHASHI_BODY)])
def test_a_null_component_is_refused(coordinator, api, url, body):
    component = next(iter(body))
    response = api(coordinator).post(url, body | {component: None}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [component]


@pytest.mark.parametrize(("url", "body"), [(SINS_URL, SINS_BODY), (TOKUHASHI_URL, TOKUHASHI_BODY)])
def test_an_empty_body_names_every_component(coordinator, api, url, body):
    response = api(coordinator).post(url, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == set(body)


@pytest.mark.parametrize(("url", "body"), [(SINS_URL, SINS_BODY), (TOKUHASHI_URL, TOKUHASHI_BODY)])
def test_unknown_fields_are_refused_by_name(coordinator, api, url, body):
    response = api(coordinator).post(url, body | {"locaton": "mobile"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"locaton": ["Unknown field."]}


@pytest.mark.parametrize(
    ("url", "body", "field", "bad", "codes"),
    [
        (
            SINS_URL,
            SINS_BODY,
            "location",
            "lumbar",
            ["junctional", "mobile", "semi_rigid", "rigid"],
        ),
        (SINS_URL, SINS_BODY, "pain", "severe", ["mechanical", "occasional", "none"]),
        (SINS_URL, SINS_BODY, "bone_lesion", "sclerotic", ["lytic", "mixed", "blastic"]),
        (SINS_URL, SINS_BODY, "alignment", "kyphosis", ["subluxation", "deformity", "normal"]),
        (
            SINS_URL,
            SINS_BODY,
            "collapse",
            "50",
            ["over_50", "under_50", "none_over_50_involved", "none"],
        ),
        (SINS_URL, SINS_BODY, "posterolateral", "both", ["bilateral", "unilateral", "none"]),
        (
            TOKUHASHI_URL,
            TOKUHASHI_BODY,
            "visceral_metastases",
            "liver",
            ["unremovable", "removable", "none"],
        ),
        (
            TOKUHASHI_URL,
            TOKUHASHI_BODY,
            "primary_site",
            "colon",
            ["lung", "unidentified", "carcinoid"],
        ),
        (TOKUHASHI_URL, TOKUHASHI_BODY, "frankel", "F", ["A", "B", "C", "D", "E"]),
    ],
)
def test_unknown_codes_are_a_400_naming_the_field_and_listing_the_codes(
    coordinator, api, url, body, field, bad, codes
):
    response = api(coordinator).post(url, body | {field: bad}, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    for code in codes:
        assert code in errors[field][0]


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("karnofsky", 45),
        ("karnofsky", 0),
        ("karnofsky", 110),
        ("karnofsky", 5),
        ("karnofsky", "seventy"),
        ("karnofsky", 70.5),
        ("karnofsky", True),
        ("extraspinal_bone_metastases", -1),
        ("extraspinal_bone_metastases", "some"),
        ("vertebral_metastases", 0),
        ("vertebral_metastases", -3),
    ],
)
def test_invalid_tokuhashi_values_are_a_400_naming_the_field(coordinator, api, field, bad):
    response = api(coordinator).post(TOKUHASHI_URL, TOKUHASHI_BODY | {field: bad}, format="json")
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]


def test_karnofsky_off_the_scale_says_steps_of_ten(coordinator, api):
    response = api(coordinator).post(
        TOKUHASHI_URL, TOKUHASHI_BODY | {"karnofsky": 45}, format="json"
    )
    assert "steps of 10" in response.json()["karnofsky"][0]


@pytest.mark.parametrize("raw", [b"[]", b"not json", b'"sins"'])
def test_a_body_that_is_not_a_json_object_is_a_400(coordinator, api, raw):
    response = api(coordinator).post(SINS_URL, raw, content_type="application/json")
    assert response.status_code == 400


# --- Recording -----------------------------------------------------------------------


def test_recording_a_sins_score_stores_inputs_result_and_who(coordinator, api, referral):
    response = api(coordinator).post(
        scores_url(referral), {"kind": "sins", "inputs": SINS_BODY}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "kind",
        "inputs",
        "score",
        "band",
        "predicted_survival",
        "components",
        "note",
        "recorded_at",
        "recorded_by",
    }
    assert body["kind"] == "sins"
    assert body["inputs"] == SINS_BODY
    assert (body["score"], body["band"], body["predicted_survival"]) == (11, "indeterminate", None)
    assert body["components"]["location"] == 3
    assert body["recorded_by"] == "coordinator"
    assert "1.9.3" in body["note"]

    record = ScoreRecord.objects.get()
    assert str(record.pk) == body["id"]
    assert record.referral == referral
    assert record.kind == "sins"
    assert record.inputs == SINS_BODY
    assert (record.score, record.band, record.predicted_survival) == (11, "indeterminate", "")
    assert record.recorded_by == coordinator
    assert record.recorded_at is not None


def test_recording_a_tokuhashi_score_stores_the_predicted_survival(senior_clinician, api, referral):
    response = api(senior_clinician).post(
        scores_url(referral), {"kind": "tokuhashi", "inputs": TOKUHASHI_BODY}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score"], body["band"], body["predicted_survival"]) == (
        11,
        "9-11",
        "6 months or more",
    )
    assert body["recorded_by"] == "senior"
    record = ScoreRecord.objects.get()
    assert record.inputs == TOKUHASHI_BODY
    assert record.predicted_survival == "6 months or more"
    assert record.recorded_by == senior_clinician


def test_stored_inputs_are_normalised(coordinator, api, referral):
    # DRF reads "70" as the integer 70; the stored inputs hold the integer.
    inputs = TOKUHASHI_BODY | {"karnofsky": "70", "vertebral_metastases": "2"}
    response = api(coordinator).post(
        scores_url(referral), {"kind": "tokuhashi", "inputs": inputs}, format="json"
    )
    assert response.status_code == 201
    assert ScoreRecord.objects.get().inputs == TOKUHASHI_BODY


def test_list_gives_the_referrals_records_oldest_first(
    coordinator, senior_clinician, api, make_referral
):
    referral = make_referral()
    other = make_referral()
    client = api(coordinator)
    client.post(scores_url(referral), {"kind": "sins", "inputs": SINS_BODY}, format="json")
    client.post(
        scores_url(referral), {"kind": "tokuhashi", "inputs": TOKUHASHI_BODY}, format="json"
    )
    client.post(scores_url(other), {"kind": "sins", "inputs": SINS_BODY}, format="json")

    response = api(senior_clinician).get(scores_url(referral))
    assert response.status_code == 200
    body = response.json()
    assert [r["kind"] for r in body] == ["sins", "tokuhashi"]
    assert body[1]["components"]["primary_site"] == 5
    assert body[1]["inputs"] == TOKUHASHI_BODY
    assert all(r["recorded_by"] == "coordinator" for r in body)
    assert api(senior_clinician).get(scores_url(other)).json()[0]["kind"] == "sins"


def test_listing_scores_is_recorded_as_a_view_of_patient_data(coordinator, api, referral):
    api(coordinator).get(scores_url(referral))
    access = PatientDataAccess.objects.filter(view="api.score_record.list").get()
    assert access.user == coordinator
    assert access.referral_ids == [str(referral.pk)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"inputs": SINS_BODY}, "kind"),
        ({"kind": "bilsky", "inputs": SINS_BODY}, "kind"),
        ({"kind": "sins"}, "inputs"),
        ({"kind": "sins", "inputs": "junctional"}, "inputs"),
        ({"kind": "sins", "inputs": SINS_BODY, "score": 3}, "score"),
        ({"kind": "tokuhashi", "inputs": SINS_BODY}, "inputs"),
    ],
)
def test_bad_record_bodies_are_a_400_naming_the_field_and_store_nothing(
    coordinator, api, referral, body, field
):
    response = api(coordinator).post(scores_url(referral), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert ScoreRecord.objects.count() == 0


def test_an_unknown_kind_lists_the_kinds(coordinator, api, referral):
    response = api(coordinator).post(
        scores_url(referral), {"kind": "bilsky", "inputs": SINS_BODY}, format="json"
    )
    assert "sins, tokuhashi" in response.json()["kind"][0]


@pytest.mark.parametrize(("kind", "body"), [("sins", SINS_BODY), ("tokuhashi", TOKUHASHI_BODY)])
def test_each_missing_component_refuses_the_record_naming_it(
    coordinator, api, referral, kind, body
):
    for component in body:
        partial = {k: v for k, v in body.items() if k != component}
        response = api(coordinator).post(
            scores_url(referral), {"kind": kind, "inputs": partial}, format="json"
        )
        assert response.status_code == 400, component
        assert list(response.json()) == ["inputs"]
        assert list(response.json()["inputs"]) == [component]
    assert ScoreRecord.objects.count() == 0


@pytest.mark.parametrize(
    ("kind", "inputs", "field"),
    [
        ("sins", SINS_BODY | {"pain": "severe"}, "pain"),
        ("sins", SINS_BODY | {"extra": "x"}, "extra"),
        ("tokuhashi", TOKUHASHI_BODY | {"karnofsky": 45}, "karnofsky"),
        ("tokuhashi", TOKUHASHI_BODY | {"karnofsky": 110}, "karnofsky"),
        (
            "tokuhashi",
            TOKUHASHI_BODY | {"extraspinal_bone_metastases": -1},
            "extraspinal_bone_metastases",
        ),
        ("tokuhashi", TOKUHASHI_BODY | {"vertebral_metastases": 0}, "vertebral_metastases"),
        ("tokuhashi", TOKUHASHI_BODY | {"primary_site": "colon"}, "primary_site"),
    ],
)
def test_invalid_inputs_refuse_the_record_naming_the_component(
    coordinator, api, referral, kind, inputs, field
):
    response = api(coordinator).post(
        scores_url(referral), {"kind": kind, "inputs": inputs}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["inputs"]) == [field]
    assert ScoreRecord.objects.count() == 0


def test_the_service_refuses_bad_inputs_and_stores_nothing(coordinator, referral):
    from django.core.exceptions import ValidationError

    from pathways.services import score_record

    with pytest.raises(ValidationError) as caught:
        score_record(
            referral=referral,
            kind="tokuhashi",
            inputs=TOKUHASHI_BODY | {"frankel": None},
            user=coordinator,
        )
    assert list(caught.value.message_dict) == ["frankel"]
    assert ScoreRecord.objects.count() == 0


def test_the_schema_documents_the_scoring_calls(coordinator, api):
    response = api(coordinator).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "post" in paths[SINS_URL]
    assert "post" in paths[TOKUHASHI_URL]
    assert {"get", "post"} <= set(paths["/api/v1/referrals/{referral_id}/scores/"])
