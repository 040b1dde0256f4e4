"""The referral page form: what the page posts, in the shape the API takes.

Nothing here validates. ``ReferralCreateInput`` is the one validation path for
a new referral, so the page and the API accept and refuse exactly the same
things; this package only translates HTML form data into that serializer's
input (names, lists, local times) and its errors back onto the page's inputs.
The codes' wording is their ``.label``, beside each code.

One module per subject; import from here.
"""

from coordinator.forms.common import NON_FIELD, local_time_to_iso
from coordinator.forms.detail import (
    EVENT_FIELDS,
    LINK_FIELDS,
    MDT_FIELDS,
    NOT_APPROPRIATE_FIELDS,
    SCORE_FIELDS,
    STATUS_FIELDS,
    SUSPECTED_AT_FIELDS,
    WITHDRAW_FIELDS,
    blank_values,
    form_data,
    form_errors,
    form_values,
    score_data,
)
from coordinator.forms.labels import YesNo
from coordinator.forms.referral_form import (
    CHECKBOX_FIELDS,
    FIELD_LABELS,
    LIST_FIELDS,
    LOCAL_TIME_FIELDS,
    PATIENT_FIELDS,
    SCALAR_FIELDS,
    SUBMISSION_KEY,
    error_summary,
    initial_values,
    is_submission_key,
    organisations_for,
    page_errors,
    posted_values,
    referral_data,
    services_for,
    unanswered,
)
from coordinator.forms.scores import (
    SINS_CODE_LABELS,
    SINS_COMPONENT_LABELS,
    TOKUHASHI_CODE_LABELS,
    TOKUHASHI_COMPONENT_LABELS,
    score_input_label,
    sins_choices,
    tokuhashi_choices,
)

__all__ = [
    "CHECKBOX_FIELDS",
    "EVENT_FIELDS",
    "FIELD_LABELS",
    "LINK_FIELDS",
    "LIST_FIELDS",
    "LOCAL_TIME_FIELDS",
    "MDT_FIELDS",
    "NON_FIELD",
    "NOT_APPROPRIATE_FIELDS",
    "PATIENT_FIELDS",
    "SCALAR_FIELDS",
    "SCORE_FIELDS",
    "SINS_CODE_LABELS",
    "SINS_COMPONENT_LABELS",
    "STATUS_FIELDS",
    "SUBMISSION_KEY",
    "SUSPECTED_AT_FIELDS",
    "TOKUHASHI_CODE_LABELS",
    "TOKUHASHI_COMPONENT_LABELS",
    "WITHDRAW_FIELDS",
    "YesNo",
    "blank_values",
    "error_summary",
    "form_data",
    "form_errors",
    "form_values",
    "initial_values",
    "is_submission_key",
    "local_time_to_iso",
    "organisations_for",
    "page_errors",
    "posted_values",
    "referral_data",
    "score_data",
    "score_input_label",
    "services_for",
    "sins_choices",
    "tokuhashi_choices",
    "unanswered",
]
