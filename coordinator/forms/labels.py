"""The one answer set the pages offer that is not a code of the service: yes,
no or not known, posted as ``true``/``false``/blank. Every code's wording
lives beside the code (``referrals.codes``, ``pathways.codes``,
``notifications.codes``, ``pathways.scoring``) as its ``.label``.
"""

from core.labels import LabelledEnum


class YesNo(LabelledEnum):
    YES = "true", "Yes"
    NO = "false", "No"
    NOT_KNOWN = "", "Not known"
