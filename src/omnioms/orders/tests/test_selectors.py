"""Order list search and paging rules that keep the list fast at a million orders."""

from __future__ import annotations

import pytest

from omnioms.orders.models import Order
from omnioms.orders.selectors import OrderFilters, filter_orders
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, manual_order, signed

pytestmark = pytest.mark.django_db


def search(term: str) -> set[str]:
    found = filter_orders(Order.objects.all(), OrderFilters(search=term))
    return set(found.values_list("external_id", flat=True))


def test_search_finds_external_id_buyer_id_email_phone_and_name_prefix() -> None:
    account = make_account()
    receive_webhook(
        account,
        **signed(
            manual_order(
                "X-1",
                buyer={
                    "name": "王晓明",
                    "email": "Wang@Example.com",
                    "phone": "13800138000",
                    "channel_buyer_id": "tb_778",
                },
            )
        ),
    )
    receive_webhook(account, **signed(manual_order("X-2", buyer={"name": "王芳"})))
    assert search("X-1") == {"X-1"}
    assert search("tb_778") == {"X-1"}
    assert search("wang@example.com") == {"X-1"}
    assert search("13800138000") == {"X-1"}
    assert search("王晓") == {"X-1"}
    # A one-character name prefix matches a large share of all orders: not a search.
    assert search("王") == set()
    assert search("晓明") == set()  # prefix, not substring
