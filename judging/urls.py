from __future__ import annotations

from django.urls import path

from judging import views
from judging.urls_results import urlpatterns as results_urlpatterns

app_name = "judging"
urlpatterns = [
    path("", views.judge, name="judge"),
    path("campaigns/", views.campaigns, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<slug:slug>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<slug:slug>/import/", views.campaign_import, name="campaign_import"),
    path("campaigns/<slug:slug>/start/", views.campaign_start, name="campaign_start"),
    path("campaigns/<slug:slug>/status/", views.campaign_status, name="campaign_status"),
    path("campaigns/<slug:slug>/reviewers/<int:user_id>/exclude/", views.reviewer_exclude, name="reviewer_exclude"),
] + results_urlpatterns
