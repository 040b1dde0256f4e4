"""Server-rendered pages: a thin shell over services and selectors, as the API is.

Pages and API share one permission table (``ACTION_ROLES``), the same scoped
selectors (another organisation's or service's referral is a 404) and, for a
new referral, the same validation (``ReferralCreateInput``), so they accept
and refuse exactly the same things. Every page that shows patient data records
who saw which referrals (``services.access_record``).

One module per page; import the views from here. No module is named like a
view it holds (``queue_page``, not ``queue``), so ``coordinator.views.<name>``
means one thing. A setting such as ``QUEUE_LIMIT`` is read from its own module
(``coordinator.views.queue_page``): patch it there, not here.
"""

from coordinator.views.common import PageRequest, page, referral_path
from coordinator.views.detail import referral_detail, referral_live
from coordinator.views.detail_actions import (
    referral_category,
    referral_clock_not_appropriate,
    referral_event,
    referral_event_withdraw,
    referral_link,
    referral_mdt,
    referral_score,
    referral_status,
    referral_suspected_at,
)
from coordinator.views.home_page import home
from coordinator.views.new_referral import referral_new
from coordinator.views.queue_page import queue, queue_print, queue_rows, referral_acknowledge
from coordinator.views.referral_list import referral_mine

__all__ = [
    "PageRequest",
    "home",
    "page",
    "queue",
    "queue_print",
    "queue_rows",
    "referral_acknowledge",
    "referral_category",
    "referral_clock_not_appropriate",
    "referral_detail",
    "referral_event",
    "referral_event_withdraw",
    "referral_link",
    "referral_live",
    "referral_mdt",
    "referral_mine",
    "referral_new",
    "referral_path",
    "referral_score",
    "referral_status",
    "referral_suspected_at",
]
