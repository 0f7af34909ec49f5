"""The floor's settings and records open in the back office."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from omnioms.floor.models import ExceptionType

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "model",
    [
        "exceptiontype",
        "siteclose",
        "t3rule",
        "chatwebhook",
        "materialpolicy",
        "kpitargets",
        "inventorybenchmark",
        "operationreport",
        "floorexception",
        "dailyclose",
    ],
)
def test_each_floor_admin_list_opens(client: Client, model: str) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x-9-long-pw"))
    assert client.get(reverse(f"admin:floor_{model}_changelist")).status_code == 200


def test_an_exception_type_opens_with_its_owners_and_chain(client: Client) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x-9-long-pw"))
    kind = ExceptionType.objects.get(code="t3")
    page = client.get(reverse("admin:floor_exceptiontype_change", args=[kind.pk]))
    assert page.status_code == 200
    assert kind.chain.count() == 2
