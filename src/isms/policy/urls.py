from django.urls import path

from . import views

app_name = "policy"

urlpatterns = [
    path("basic/", views.basic_policy, name="basic_policy"),
]
