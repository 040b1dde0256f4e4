"""The referral form: its inputs, the serializer input made from them, its
errors back on the inputs, and the choices that depend on who is referring.
"""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict

from coordinator.forms.common import NON_FIELD, _messages, local_time_to_iso
from core.roles import Role
from referrals.models import Organisation, Service, User

# Page input name -> the serializer's patient field.
PATIENT_FIELDS = {
    "patient_nhs_number": "nhs_number",
    "patient_given_name": "given_name",
    "patient_family_name": "family_name",
    "patient_date_of_birth": "date_of_birth",
    "patient_sex": "sex",
    "patient_postcode": "postcode",
}
# Single-valued inputs passed to the serializer under the same name.
SCALAR_FIELDS = (
    "referring_organisation",
    "service",
    "cancer_status",
    "primary_tumour",
    "haematological",
    "neuro_progressing",
    "imaging_findings",
    "imaging_modality",
    "movement_pain",
    "performance_status",
    "frailty_score",
    "ambulatory",
    "presentation",
    "neurological_assessment",
    "imaging_report",
    "oncology_history",
    "individual_needs",
    "referrer_contact",
)
LIST_FIELDS = ("pain_features", "neuro_features")
# Checkboxes: absent from the post means "no".
CHECKBOX_FIELDS = ("known_spinal_metastases", "back_pain", "instability_signs")
# datetime-local inputs: UK wall-clock time, no offset.
LOCAL_TIME_FIELDS = ("neuro_onset_at", "suspected_at")

# For the error summary: what each input is called on the page.
FIELD_LABELS: dict[str, str] = {
    "patient_nhs_number": "NHS number",
    "patient_given_name": "Given name",
    "patient_family_name": "Family name",
    "patient_date_of_birth": "Date of birth",
    "patient_sex": "Sex",
    "patient_postcode": "Postcode",
    "referring_organisation": "Referring organisation",
    "service": "MSCC service",
    "cancer_status": "Cancer",
    "primary_tumour": "Primary tumour",
    "haematological": "Haematological malignancy",
    "pain_features": "Pain characteristics",
    "neuro_features": "Symptoms and signs of cord compression",
    "neuro_onset_at": "Onset of neurological symptoms",
    "neuro_progressing": "Neurological symptoms progressing",
    "suspected_at": "When MSCC or spinal metastases were first suspected",
    "imaging_findings": "Imaging so far",
    "imaging_modality": "How that imaging was done",
    "known_spinal_metastases": "Known spinal metastases",
    "back_pain": "Back pain",
    "instability_signs": "Signs of spinal instability",
    "movement_pain": "Pain on movement",
    "performance_status": "WHO performance status",
    "frailty_score": "Clinical Frailty Scale",
    "ambulatory": "Able to walk",
    "presentation": "Presentation",
    "neurological_assessment": "Neurological assessment",
    "imaging_report": "Imaging report",
    "oncology_history": "Oncology history",
    "individual_needs": "Individual needs",
    "referrer_contact": "Your name and direct phone number",
    "__all__": "Referral",
}
# Hidden input: a random key per rendering of the referral form (double-submit guard).
SUBMISSION_KEY = "submission_key"


def is_submission_key(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def referral_data(post: QueryDict) -> dict[str, Any]:
    """The ReferralCreateInput body for what the page posted.

    An empty input is left out, so the serializer applies its default or says
    the field is required, exactly as for an API client that omits it.
    """
    patient = {
        field: post[name].strip() for name, field in PATIENT_FIELDS.items() if post.get(name, "")
    }
    data: dict[str, Any] = {"patient": patient}
    for name in SCALAR_FIELDS:
        value = post.get(name, "")
        if value != "":
            data[name] = value
    for name in LIST_FIELDS:
        data[name] = post.getlist(name)
    for name in CHECKBOX_FIELDS:
        data[name] = name in post
    for name in LOCAL_TIME_FIELDS:
        value = post.get(name, "").strip()
        if value:
            data[name] = local_time_to_iso(value)
    return data


def posted_values(post: QueryDict) -> dict[str, Any]:
    """What the user typed, to show again beside the errors."""
    values: dict[str, Any] = {
        name: post.get(name, "") for name in (*PATIENT_FIELDS, *SCALAR_FIELDS, *LOCAL_TIME_FIELDS)
    }
    for name in LIST_FIELDS:
        values[name] = post.getlist(name)
    for name in CHECKBOX_FIELDS:
        values[name] = name in post
    # Keep the key: a refused submission stored nothing, so it may be resent.
    values[SUBMISSION_KEY] = post.get(SUBMISSION_KEY, "")
    return values


def page_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    """Serializer errors keyed by the page's input names."""
    page: dict[str, list[str]] = {}
    patient_names = {field: name for name, field in PATIENT_FIELDS.items()}
    for key, value in errors.items():
        if key == "patient" and isinstance(value, dict):
            for field, messages in value.items():
                name = patient_names.get(field, NON_FIELD)
                page.setdefault(name, []).extend(_messages(messages))
        elif key in ("non_field_errors", "detail"):
            page.setdefault(NON_FIELD, []).extend(_messages(value))
        else:
            page.setdefault(key, []).extend(_messages(value))
    return page


# Clinical questions the page makes the referrer answer, although the API has
# a default for each (the API is a contract and stays as it is): on a form, a
# pre-selected negative is too easily sent unread (issue 11).
MUST_ANSWER: dict[str, str] = {
    "haematological": "Choose whether the person has a haematological malignancy.",
    "imaging_findings": (
        "Choose what imaging already shows (the first answer if there is no imaging yet)."
    ),
    "movement_pain": "Choose how much pain the person has on movement.",
}


def unanswered(post: QueryDict) -> dict[str, list[str]]:
    """The clinical questions the page requires but the referrer left blank."""
    return {name: [message] for name, message in MUST_ANSWER.items() if not post.get(name, "")}


def error_summary(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    """One line per message, naming the input it belongs to, in form order."""
    order = list(FIELD_LABELS)
    keys = sorted(errors, key=lambda k: order.index(k) if k in order else len(order))
    return [
        {"name": key, "label": FIELD_LABELS.get(key, key.replace("_", " ")), "message": m}
        for key in keys
        for m in errors[key]
    ]


# --- Choices that depend on who is referring -----------------------------------------


def organisations_for(user: User) -> QuerySet[Organisation]:
    """Whom the user may refer on behalf of: a referrer their own organisation;
    a coordinator logging a phoned-in referral any organisation of their
    service's alliance."""
    if user.role == Role.REFERRER:
        return Organisation.objects.filter(pk=user.organisation_id)
    if user.service_id:
        return Organisation.objects.filter(alliance_id=user.service.alliance_id).order_by("name")
    return Organisation.objects.none()


def services_for(user: User) -> QuerySet[Service]:
    """The MSCC services the user may refer to: a referrer's alliance's; a
    coordinator's own (the service layer refuses any other)."""
    if user.role == Role.REFERRER and user.organisation_id:
        return Service.objects.filter(alliance_id=user.organisation.alliance_id).order_by("name")
    if user.service_id:
        return Service.objects.filter(pk=user.service_id)
    return Service.objects.none()


def initial_values(
    user: User, organisations: QuerySet[Organisation], services: QuerySet[Service]
) -> dict[str, Any]:
    """A blank form, with what is already known filled in."""
    values: dict[str, Any] = dict.fromkeys(
        (*PATIENT_FIELDS, *SCALAR_FIELDS, *LOCAL_TIME_FIELDS), ""
    )
    values.update({name: [] for name in LIST_FIELDS})
    values.update(dict.fromkeys(CHECKBOX_FIELDS, False))
    values[SUBMISSION_KEY] = str(uuid.uuid4())
    # No clinical answer is chosen for the referrer (issue 11): a question
    # left at a pre-selected "No" or "None" would read as a negative nobody gave.
    only_organisation = list(organisations[:2])
    if len(only_organisation) == 1:
        values["referring_organisation"] = only_organisation[0].code
    only_service = list(services[:2])
    if len(only_service) == 1:
        values["service"] = only_service[0].code
    if user.role == Role.REFERRER:
        values["referrer_contact"] = " ".join(
            part for part in (user.get_full_name(), user.phone) if part
        )
    return values
