from __future__ import annotations

from django.urls import path

from judging import views

app_name = "judging"
urlpatterns = [
    path("", views.judge, name="judge"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("campaigns/", views.campaigns, name="campaigns"),
]
