from django.urls import path

from pathways.api import scores

urlpatterns = [
    path("scores/sins/", scores.SinsScoreView.as_view(), name="api-score-sins"),
    path("scores/tokuhashi/", scores.TokuhashiScoreView.as_view(), name="api-score-tokuhashi"),
    path(
        "referrals/<uuid:referral_id>/scores/",
        scores.ReferralScoresView.as_view(),
        name="api-referral-scores",
    ),
]
