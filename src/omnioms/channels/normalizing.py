"""Running an adapter over records, in this process or in helper processes. Pure: no queries.

A large file import spends about half its time in the adapter (parsing text, money and times,
validating the contract) and half writing rows. Adapters are pure functions of bytes, so
:func:`normalized_batches` runs them in helper processes while this process writes the previous
batch (measured on two cores: about a fifth faster; ``bench/README.md``). Helpers start with
``spawn`` (no inherited database connections) and import only the adapters. Results come back
pickled: each validated ``NormalizedOrder``, its contract JSON and that text's hash, so this
process neither validates nor serialises the order again (unpickling a model restores its
fields without running validators, at about a third of the cost of ``model_construct``).
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import (
    TOO_DEEP,
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import NormalizedOrder, content_hash_of

if TYPE_CHECKING:  # helper processes import this module without Django set up
    from omnioms.channels.models import ChannelAccount

logger = logging.getLogger(__name__)

PARALLEL_FROM = 3
"""Batches a file must have before helper processes are worth their start-up (about 0.4 s)."""


def account_context(account: ChannelAccount) -> AdapterContext:
    return AdapterContext(
        time_zone=ZoneInfo(account.time_zone),
        currency=account.default_currency,
        options=account.options,
    )


def normalize_record(adapter: Adapter, record: Record, context: AdapterContext) -> NormalizedOrder:
    """Run an adapter, turning any failure into a :class:`NormalizationError` with a reason."""
    try:
        order = adapter.normalize(record, context)
    except NormalizationError:
        raise
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc
    except RecursionError as exc:  # not an adapter bug: a payload nested beyond all reason
        raise NormalizationError(TOO_DEEP) from exc
    except Exception as exc:  # an adapter bug must not lose the payload
        logger.exception("adapter %s failed on %s", adapter.code, record.label or "payload")
        raise NormalizationError(f"could not be read ({type(exc).__name__}: {exc})") from exc
    if order.channel != adapter.code and adapter.code != "manual":
        raise NormalizationError(f"adapter {adapter.code} produced a {order.channel} order")
    return order


def with_label(label: str, message: str) -> str:
    """``rows 3-4: row 4: Qty: ...``, but not ``row 5: row 5: ...`` when the adapter named it."""
    if not label or message.startswith(f"{label}:"):
        return message
    return f"{label}: {message}"


@dataclass(frozen=True)
class Normalized:
    """One record's result: the order (and its content hash when a helper computed it), or
    why it could not be read."""

    order: NormalizedOrder | None = None
    digest: str | None = None
    contract_json: str | None = None
    """The order's ``model_dump_json()``, whose hash ``digest`` is, when a helper sent it."""
    problem: str = ""


Batch = tuple[list[Record], list[Normalized]]


def normalized_batches(
    adapter: Adapter,
    context: AdapterContext,
    records: Iterable[Record],
    size: int,
    *,
    processes: int | None = None,
) -> Iterator[Batch]:
    """Batches of ``size`` records with their results, in file order.

    ``processes`` helper processes (default :func:`default_processes`) normalise ahead while
    the caller works on the batch it was given; files of fewer than :data:`PARALLEL_FROM`
    batches, or ``processes=0``, stay in this process. If a helper dies, the rest of the
    file is done here, with one warning.
    """
    batches = _batches(records, size)
    head = list(islice(batches, PARALLEL_FROM))
    started = _take_started()
    workers = default_processes() if processes is None else processes
    if workers < 1 or len(head) < PARALLEL_FROM:
        if started is not None:
            started[0].shutdown(wait=False, cancel_futures=True)
        for batch in [*head, *batches]:
            yield batch, normalize_records(adapter, context, batch)
        return
    if started is not None:
        pool, workers = started
    else:
        pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    window: deque[tuple[list[Record], Future[list[_Sent]] | None]] = deque()
    lost = False  # a helper died: the pool is broken for good, so the rest is done here

    def collect(batch: list[Record], future: Future[list[_Sent]] | None) -> Batch:
        nonlocal lost
        results = _collect(future)
        if results is None:
            if not lost:
                logger.warning(
                    "an import helper process died; normalising the file from %s on in "
                    "this process",
                    batch[0].label or "this batch",
                )
            lost = True
            results = normalize_records(adapter, context, batch)
        return batch, results

    try:
        for batch in [*head, *batches]:
            future = None
            if not lost:
                with suppress(BrokenProcessPool):  # collect() then normalises it here
                    future = pool.submit(_normalize_elsewhere, adapter.code, context, batch)
            window.append((batch, future))
            if len(window) > workers + 1:  # one batch ahead per helper, plus the one waited on
                yield collect(*window.popleft())
        while window:
            yield collect(*window.popleft())
    finally:
        # Waits for the helpers to exit; a caller that stopped early cancels what is queued.
        pool.shutdown(wait=True, cancel_futures=True)


_started: tuple[ProcessPoolExecutor, int] | None = None


def start_helpers(processes: int | None = None) -> None:
    """Start the helper processes now, for the next :func:`normalized_batches` to use.

    A helper spends about half a second importing the adapters before it can work. A command
    about to import a large file calls this first thing, so that this start-up runs while the
    command itself sets up Django and reads the account, instead of after.
    """
    global _started
    workers = default_processes() if processes is None else processes
    if workers < 1 or _started is not None:
        return
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    for _ in range(workers):
        pool.submit(_ready)  # each spawns a helper, which imports this module and so the adapters
    _started = (pool, workers)


def _take_started() -> tuple[ProcessPoolExecutor, int] | None:
    global _started
    started, _started = _started, None
    return started


def _ready() -> None:
    """Nothing: a helper that runs it has imported this module, which is the point."""


def default_processes() -> int:
    """``OMNIOMS_IMPORT_PROCESSES``, else one per core but one (for this process), at most 4."""
    configured = os.environ.get("OMNIOMS_IMPORT_PROCESSES")
    if configured is not None:
        return max(0, int(configured))
    return max(0, min(4, (os.cpu_count() or 1) - 1))


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


def normalize_records(
    adapter: Adapter, context: AdapterContext, batch: list[Record]
) -> list[Normalized]:
    results = []
    for record in batch:
        try:
            results.append(Normalized(order=normalize_record(adapter, record, context)))
        except NormalizationError as exc:
            results.append(Normalized(problem=with_label(record.label, str(exc))))
    return results


_Sent = tuple[str, NormalizedOrder | None, str]
"""What a helper sends back per record: ``(content hash, order, contract JSON)``, or
``(reason, None, "")`` for a record that could not be read."""


def _normalize_elsewhere(code: str, context: AdapterContext, batch: list[Record]) -> list[_Sent]:
    """In a helper process: each record's order as plain fields, or why it failed."""
    adapter = get_adapter(code)
    sent: list[_Sent] = []
    for result in normalize_records(adapter, context, batch):
        if result.order is None:
            sent.append((result.problem, None, ""))
            continue
        text = result.order.model_dump_json()
        sent.append((content_hash_of(text), result.order, text))
    return sent


def _collect(future: Future[list[_Sent]] | None) -> list[Normalized] | None:
    """A helper's results, or None when it died before sending them (or was never asked)."""
    try:
        if future is None:
            return None
        done = future.result()
    except BrokenProcessPool:
        return None
    return [
        Normalized(order=order, digest=text, contract_json=contract)
        if order is not None
        else Normalized(problem=text)
        for text, order, contract in done
    ]
