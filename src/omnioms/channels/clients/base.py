"""What the platform clients share: the account's transport, credentials, times, paging."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from omnioms.channels.adapters.base import Record, dump_json
from omnioms.channels.clients import (
    AddressChange,
    AvailabilityItem,
    Cancellation,
    ClientError,
    NotSupported,
    OrderStamp,
    Page,
    Refund,
    Shipment,
    StampPage,
)
from omnioms.channels.clients.http import Transport, TransportSettings, credential

if TYPE_CHECKING:
    from omnioms.channels.models import ChannelAccount

BEIJING = ZoneInfo("Asia/Shanghai")


class BaseClient:
    """One account's client. Subclasses implement the calls their platform has; the others
    raise :class:`NotSupported`. Use as a context manager to close the connection pool."""

    platform: ClassVar[str]
    writes_back: ClassVar[frozenset[str]] = frozenset({"mark_shipped"})
    """The outbound command kinds (``channels.CommandKind``) this platform's API can take;
    for the others omnioms tells the person to make the change in the seller centre."""
    page_size_default: ClassVar[int] = 100
    page_size_max: ClassVar[int] = 100

    def __init__(
        self, account: ChannelAccount, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.account = account
        self.name = account.name
        self.credentials: dict[str, Any] = dict(account.api_credentials or {})
        self.settings = TransportSettings.from_credentials(self.credentials, account=self.name)
        self.zone = ZoneInfo(account.time_zone) if account.time_zone else BEIJING
        self.page_size = self._page_size()
        self.transport = Transport(
            self.settings, account=self.name, headers=self.auth_headers(), sleep=sleep
        )

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # Settings ---------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        return {}

    def require(self, key: str) -> str:
        return credential(self.credentials, key, account=self.name)

    def _page_size(self) -> int:
        raw = self.credentials.get("page_size", self.page_size_default)
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= self.page_size_max:
            raise ClientError(
                f"account {self.name}: api_credentials.page_size must be a whole number from 1 "
                f"to {self.page_size_max}, got {raw!r}",
                retryable=False,
            )
        return raw

    # The interface ----------------------------------------------------------------------------

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        raise NotSupported(f"{self.platform}: pulling orders is not supported")

    def fetch_order(self, external_id: str) -> Record:
        raise NotSupported(f"{self.platform}: fetching one order is not supported")

    def mark_shipped(self, shipment: Shipment) -> None:
        raise NotSupported(f"{self.platform}: marking orders shipped is not supported")

    def cancel_order(self, cancellation: Cancellation) -> None:
        raise NotSupported(f"{self.platform}: cancelling orders through the API is not supported")

    def refund(self, refund: Refund) -> None:
        raise NotSupported(f"{self.platform}: refunding through the API is not supported")

    def change_address(self, change: AddressChange) -> None:
        raise NotSupported(
            f"{self.platform}: changing the shipping address through the API is not supported"
        )

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        raise NotSupported(f"{self.platform}: pushing availability is not supported")

    def list_updated(self, since: datetime, until: datetime, cursor: str | None) -> StampPage:
        """Ids and update times of the orders updated in ``[since, until)``.

        By default the pages of :meth:`fetch_updated` normalised (pure, no database); clients
        whose listing is cheaper than full orders (Amazon's getOrders without items) override.
        """
        from omnioms.channels.adapters import get_adapter
        from omnioms.channels.adapters.base import NormalizationError
        from omnioms.channels.normalizing import account_context, normalize_record

        page = self.fetch_updated(since, until, cursor)
        adapter = get_adapter(self.account.platform)
        context = account_context(self.account)
        stamps: list[OrderStamp] = []
        unreadable: list[Record] = []
        for record in page.records:
            try:
                order = normalize_record(adapter, record, context)
            except NormalizationError:
                unreadable.append(record)
                continue
            stamps.append(OrderStamp(order.external_id, order.updated_at, order.version))
        return StampPage(stamps=stamps, next_cursor=page.next_cursor, unreadable=unreadable)

    # Helpers ----------------------------------------------------------------------------------

    @staticmethod
    def record(data: Any, label: str) -> Record:
        return Record(raw=dump_json(data), label=label[:100])

    def local_text(self, moment: datetime) -> str:
        """``yyyy-MM-dd HH:mm:ss`` in the account's zone (Chinese platforms' naive times)."""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")


def utc_text(moment: datetime) -> str:
    """ISO-8601 with ``Z``, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


# ----------------------------------------------------------------------------------------------
# Paging


def encode_cursor(**state: Any) -> str:
    return json.dumps(state, separators=(",", ":"), sort_keys=True)


def decode_cursor(cursor: str, platform: str) -> dict[str, Any]:
    try:
        state = json.loads(cursor)
    except json.JSONDecodeError:
        state = None
    if not isinstance(state, dict):
        raise ClientError(
            f"{platform}: {cursor!r} is not a cursor this client made", retryable=False
        )
    return state


def whole_number(value: Any, where: str) -> int:
    """A count the platform sent (``total_results``); a clear error when it is not one."""
    if isinstance(value, bool):
        value = None
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        raise ClientError(
            f"{where}: the platform's count {value!r} is not a whole number", retryable=False
        ) from None


def windows(
    since: datetime, until: datetime, zone: ZoneInfo
) -> Iterator[tuple[datetime, datetime]]:
    """``[since, until)`` cut at midnights in ``zone``: Taobao and Douyin allow one day per
    query."""
    start = since
    while start < until:
        local = start.astimezone(zone)
        midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), zone)
        end = min(until, midnight.astimezone(UTC))
        yield start, end
        start = end


def next_window(since: datetime, until: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return next(windows(since, until, zone))


class DescendingPages:
    """Page numbers read from the last page to the first.

    Platforms that page by number over "updated between A and B" shift later orders to earlier
    pages when an order in the window is updated again (it leaves the window). Reading forward
    would then skip an order; reading backward only reads one twice, which the upsert ignores.
    The first call reads the first page, which tells the total: when there is more than one
    page, its records are dropped and reading starts again from the last. The cursor carries
    the window's start and the page to read next.

    ``read(start, end, page) -> (total in the window, records)`` is the platform's call;
    ``first_page`` is 1 or 0 as the platform counts. Windows are cut at the account's
    midnights (``split_days``) and at most ``span`` long, as the platform requires.
    """

    def __init__(
        self,
        *,
        platform: str,
        zone: ZoneInfo,
        page_size: int,
        read: Callable[[datetime, datetime, int], tuple[int, list[Record]]],
        first_page: int = 1,
        split_days: bool = True,
        span: timedelta | None = None,
    ) -> None:
        self.platform = platform
        self.zone = zone
        self.page_size = page_size
        self.read = read
        self.first_page = first_page
        self.split_days = split_days
        self.span = span
        """Longest window one query may cover (Pinduoduo: 30 minutes)."""

    def page(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        page: int | None = None
        start = since
        if cursor:
            state = decode_cursor(cursor, self.platform)
            try:
                start = datetime.fromisoformat(state["start"])
                page = None if state.get("page") is None else int(state["page"])
            except (KeyError, TypeError, ValueError):
                raise ClientError(
                    f"{self.platform}: {cursor!r} is not a cursor this client made",
                    retryable=False,
                ) from None
        end = next_window(start, until, self.zone)[1] if self.split_days else until
        if self.span is not None:
            end = min(end, start + self.span)
        if page is None:
            total, records = self.read(start, end, self.first_page)
            pages = math.ceil(max(total, len(records)) / self.page_size)
            if pages > 1:
                page = self.first_page + pages - 1
                total, records = self.read(start, end, page)
        else:
            _total, records = self.read(start, end, page)
        if page is not None and page > self.first_page:
            return Page(records, encode_cursor(start=start.isoformat(), page=page - 1))
        if end < until:
            return Page(records, encode_cursor(start=end.isoformat(), page=None))
        return Page(records, None)
