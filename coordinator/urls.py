from django.urls import path

from coordinator import views
from coordinator.views.detail_actions import referral_escalation_acknowledge
from coordinator.views.referral_export import referral_export
from coordinator.views.team_pages import (
    team_deactivate,
    team_invite,
    team_invite_renew,
    team_list,
    team_reactivate,
    team_role,
)

urlpatterns = [
    path("", views.home, name="home"),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/mine/", views.referral_mine, name="referral_mine"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path(
        "referrals/<uuid:referral_id>/acknowledge/",
        views.referral_acknowledge,
        name="referral_acknowledge",
    ),
    path(
        "referrals/<uuid:referral_id>/category/", views.referral_category, name="referral_category"
    ),
    # The referral page's live panels and working forms.
    path("referrals/<uuid:referral_id>/live/", views.referral_live, name="referral_live"),
    path("referrals/<uuid:referral_id>/events/", views.referral_event, name="referral_event"),
    path(
        "referrals/<uuid:referral_id>/events/<uuid:event_id>/withdraw/",
        views.referral_event_withdraw,
        name="referral_event_withdraw",
    ),
    path("referrals/<uuid:referral_id>/status/", views.referral_status, name="referral_status"),
    path("referrals/<uuid:referral_id>/mdt/", views.referral_mdt, name="referral_mdt"),
    path(
        "referrals/<uuid:referral_id>/clocks/<uuid:clock_id>/not-appropriate/",
        views.referral_clock_not_appropriate,
        name="referral_clock_not_appropriate",
    ),
    path(
        "referrals/<uuid:referral_id>/scores/<slug:kind>/",
        views.referral_score,
        name="referral_score",
    ),
    path(
        "referrals/<uuid:referral_id>/suspected-at/",
        views.referral_suspected_at,
        name="referral_suspected_at",
    ),
    path("referrals/<uuid:referral_id>/link/", views.referral_link, name="referral_link"),
    path(
        "referrals/<uuid:referral_id>/escalations/<uuid:escalation_id>/acknowledge/",
        referral_escalation_acknowledge,
        name="referral_escalation_acknowledge",
    ),
    path("queue/", views.queue, name="queue"),
    path("queue/rows/", views.queue_rows, name="queue_rows"),
    path("queue/print/", views.queue_print, name="queue_print"),
    # A service admin's team (issue 11): the member acted on is posted, not in the URL.
    path("team/", team_list, name="team_list"),
    path("team/invite/", team_invite, name="team_invite"),
    path("team/invite/renew/", team_invite_renew, name="team_invite_renew"),
    path("team/role/", team_role, name="team_role"),
    path("team/deactivate/", team_deactivate, name="team_deactivate"),
    path("team/reactivate/", team_reactivate, name="team_reactivate"),
    # The list as a CSV file, by POST (issue 11: search).
    path("referrals/mine/export/", referral_export, name="referral_export"),
]
