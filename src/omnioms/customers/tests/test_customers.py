"""One customer per person across channels, merged when an identity shows up again."""

from __future__ import annotations

import pytest

from omnioms.channels.contract import Address, Buyer
from omnioms.customers.domain import identity_keys, normalize_phone
from omnioms.customers.models import Customer
from omnioms.orders.models import Order
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, manual_order, signed


def test_phone_numbers_compare_by_digits_without_china_prefix_and_masked_ones_identify_no_one():
    assert normalize_phone("+86 138-0013-8000") == normalize_phone("13800138000") == "13800138000"
    assert normalize_phone("0086 13800138000") == "13800138000"
    assert normalize_phone("138****8000") is None


def test_receiver_phone_identifies_a_marketplace_buyer_without_phone_or_email():
    keys = identity_keys(
        "taobao", Buyer(name="tb_nick", channel_buyer_id="u1"), Address(phone="13800138000")
    )
    assert [(k.kind, k.value) for k in keys] == [("channel_buyer", "u1"), ("phone", "13800138000")]
    masked = identity_keys("douyin", Buyer(), Address(phone="138****8000", masked=True))
    assert masked == []
    own_email = identity_keys("shopify", Buyer(email="a@b.cn"), Address(phone="13800138000"))
    assert [k.kind for k in own_email] == ["email"]


@pytest.mark.django_db
def test_same_phone_on_two_channels_is_one_customer_and_a_bridge_order_merges_two():
    tmall = make_account(platform="manual")
    shop = make_account(platform="manual")
    receive_webhook(
        tmall, **signed(manual_order("A", buyer={"name": "王", "phone": "13800138000"}))
    )
    receive_webhook(
        shop, **signed(manual_order("B", buyer={"name": "Wang", "phone": "+86 13800138000"}))
    )
    receive_webhook(shop, **signed(manual_order("C", buyer={"name": "W", "email": "w@x.cn"})))
    a, b, c = (Order.objects.get(external_id=x) for x in "ABC")
    assert a.customer_id == b.customer_id != c.customer_id

    # An order carrying both the e-mail and the phone shows they are the same person.
    both = manual_order("D", buyer={"email": "W@X.cn", "phone": "13800138000"})
    receive_webhook(shop, **signed(both))
    assert a.customer_id is not None
    assert c.customer_id is not None
    survivor = min(a.customer_id, c.customer_id)
    assert set(Order.objects.values_list("customer_id", flat=True)) == {survivor}
    merged = Customer.objects.get(pk=max(a.customer_id, c.customer_id))
    assert merged.merged_into_id == survivor
    assert Customer.objects.get(pk=survivor).identities.count() == 2
