from django.urls import path

from . import views

app_name = "quarantine"

urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("<int:pk>/", views.message_detail, name="message_detail"),
    path("<int:pk>/release/", views.release_derivative, name="release_derivative"),
    path("<int:pk>/request-original/", views.request_original, name="request_original"),
    path("releases/<int:pk>/approve/", views.approve_original, name="approve_original"),
]
