"""Login throttling: repeated failures lock the user name from that address (django-axes)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support.factories import PASSWORD, make_municipality, make_user


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None  # re-read the settings
    yield
    AxesProxyHandler.implementation = None


@pytest.mark.django_db
def test_account_is_locked_after_repeated_failures_even_with_the_right_password(client, axes_on):
    user = make_user(make_municipality(), "kacho")
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "kacho", "password": "wrong"})
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    response = client.post(reverse("login"), {"username": "kacho", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert user.is_active


@pytest.mark.django_db
def test_a_good_password_before_the_limit_logs_in(client, axes_on):
    make_user(make_municipality(), "kacho")
    client.post(reverse("login"), {"username": "kacho", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "kacho", "password": PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
