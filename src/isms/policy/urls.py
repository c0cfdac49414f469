from django.urls import path

from . import views

app_name = "policy"

urlpatterns = [
    path("basic/", views.basic_policy, name="basic_policy"),
    path("review/", views.policy_review, name="policy_review"),
]
