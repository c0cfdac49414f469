from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("soon/<slug:slug>/", views.coming_soon, name="coming_soon"),
    path("fiscal-year/", views.set_fiscal_year, name="set_fiscal_year"),
    path("municipality/", views.set_municipality, name="set_municipality"),
]
