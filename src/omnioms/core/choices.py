"""Choices shared across apps and by the pure layers (adapters, flows)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    """The unified order status of ``docs/contracts.md``."""

    DRAFT = "draft", _("Draft")
    PENDING_PAYMENT = "pending_payment", _("Pending payment")
    PAID = "paid", _("Paid")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUNDED = "refunded", _("Refunded")


class Platform(models.TextChoices):
    """Adapter codes: which normaliser reads an account's payloads."""

    SHOPIFY = "shopify", "Shopify"
    TAOBAO = "taobao", _("Taobao / Tmall")
    DOUYIN = "douyin", _("Douyin shop")
    POS_CSV = "pos_csv", _("Store POS export")
    WOOCOMMERCE = "woocommerce", "WooCommerce"
    AMAZON = "amazon", "Amazon"
    SQUARE = "square", "Square"
    JD = "jd", _("JD.com")
    PINDUODUO = "pinduoduo", _("Pinduoduo")
    YOUZAN = "youzan", _("Youzan")
    WECHAT_CHANNELS = "wechat_channels", _("WeChat Channels shop")
    CSV = "csv", _("Spreadsheet (column mapping)")
    MANUAL = "manual", _("Manual entry")
