"""Tabu search on the critical path, for a makespan plan without calendars or setups.

The engine's CP-SAT model is general (calendars, setups, alternative machines, materials). Where
none of that is in play and the objective is the makespan (``applies``), a plan's makespan is
the longest path of the disjunctive graph of its machine sequences, and a local search that
knows that structure improves a plan far faster than CP-SAT's generic neighbourhoods. This is
that search, run before CP-SAT so that CP-SAT starts from its plan (docs/scheduling.md, "The
run"): Nowicki and Smutnicki's tabu search (1996) with the N7 neighbourhood of Zhang, Li, Guan
and Rao (2007). A solution is one sequence per machine, kept as linked lists; a move takes an
operation of a block of the critical path to the block's front or back, or the front or back
inside the block; moves are ranked by the Balas-Vazacopoulos estimate of the longest path
through the operations they reorder, and the best allowed one is made (one that makes a cycle
is undone and the next one taken). The orders of pairs a move reversed are tabu for a while
unless a move beats the best; after ``STALL`` moves without a new best the search goes back to
its best and shakes it with a few random critical moves.

The kernel is compiled with Numba and releases the GIL, so :func:`improve` runs one search per
worker thread, each from the same start with its own random stream and, in turn, a short or a
long tabu tenure (``TENURES``), and returns the best.
Moves run in chunks of ``CHUNK`` so the wall-clock deadline is checked between them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from .model import Plan, PlannedOperation, Problem, make_plan

__all__ = ["Instance", "applies", "improve", "makespan", "polish"]


@dataclass(frozen=True)
class Instance:
    """Operations numbered 0..n-1, job by job; ``machine`` and ``duration`` per operation."""

    machine: np.ndarray  # int64[n]
    duration: np.ndarray  # int64[n]
    job_next: np.ndarray  # int64[n], -1 for a job's last operation
    job_prev: np.ndarray  # int64[n], -1 for a job's first operation
    machines: int

    @classmethod
    def from_jobs(cls, jobs: Sequence[Sequence[tuple[int, int]]], machines: int) -> Instance:
        machine: list[int] = []
        duration: list[int] = []
        job_next: list[int] = []
        job_prev: list[int] = []
        for job in jobs:
            first = len(machine)
            for k, (m, d) in enumerate(job):
                machine.append(m)
                duration.append(d)
                job_prev.append(first + k - 1 if k else -1)
                job_next.append(first + k + 1 if k + 1 < len(job) else -1)
        as_array = lambda values: np.asarray(values, dtype=np.int64)  # noqa: E731
        return cls(
            as_array(machine), as_array(duration), as_array(job_next), as_array(job_prev), machines
        )


@njit(cache=True, nogil=True)
def _heads(dur, jnext, jprev, mnext, mprev, head, order):
    """Earliest starts by a topological pass; returns the makespan, or -1 on a cycle."""
    n = dur.shape[0]
    indegree = np.zeros(n, dtype=np.int64)
    top = 0
    for o in range(n):
        indegree[o] = int(jprev[o] >= 0) + int(mprev[o] >= 0)
        head[o] = 0
        if indegree[o] == 0:
            order[top] = o
            top += 1
    done = 0
    span = 0
    while done < top:
        o = order[done]
        done += 1
        end = head[o] + dur[o]
        if end > span:
            span = end
        for s in (jnext[o], mnext[o]):
            if s >= 0:
                if end > head[s]:
                    head[s] = end
                indegree[s] -= 1
                if indegree[s] == 0:
                    order[top] = s
                    top += 1
    if done < n:
        return -1
    return span


@njit(cache=True, nogil=True)
def _tails(dur, jnext, mnext, order, tail):
    """Longest path from the end of each operation to the end of the schedule."""
    n = dur.shape[0]
    for i in range(n - 1, -1, -1):
        o = order[i]
        best = 0
        for s in (jnext[o], mnext[o]):
            if s >= 0 and dur[s] + tail[s] > best:
                best = dur[s] + tail[s]
        tail[o] = best


@njit(cache=True, nogil=True)
def _unlink(x, mach, mnext, mprev, mfirst):
    p = mprev[x]
    s = mnext[x]
    if p >= 0:
        mnext[p] = s
    else:
        mfirst[mach[x]] = s
    if s >= 0:
        mprev[s] = p
    mnext[x] = -1
    mprev[x] = -1


@njit(cache=True, nogil=True)
def _link_before(x, t, mach, mnext, mprev, mfirst):
    p = mprev[t]
    mprev[x] = p
    mnext[x] = t
    mprev[t] = x
    if p >= 0:
        mnext[p] = x
    else:
        mfirst[mach[t]] = x


@njit(cache=True, nogil=True)
def _link_after(x, t, mnext, mprev):
    s = mnext[t]
    mnext[x] = s
    mprev[x] = t
    mnext[t] = x
    if s >= 0:
        mprev[s] = x


@njit(cache=True, nogil=True)
def _apply(x, t, forward, mach, mnext, mprev, mfirst):
    """Move x to just before t (forward) or just after t; returns where x was (its old
    machine successor for a forward move, its old predecessor for a backward one)."""
    if forward:
        anchor = mnext[x]
        _unlink(x, mach, mnext, mprev, mfirst)
        _link_before(x, t, mach, mnext, mprev, mfirst)
    else:
        anchor = mprev[x]
        _unlink(x, mach, mnext, mprev, mfirst)
        _link_after(x, t, mnext, mprev)
    return anchor


@njit(cache=True, nogil=True)
def _undo(x, anchor, forward, mach, mnext, mprev, mfirst):
    _unlink(x, mach, mnext, mprev, mfirst)
    if forward:
        # x was just before its old successor, or last on its machine
        if anchor >= 0:
            _link_before(x, anchor, mach, mnext, mprev, mfirst)
        else:
            last = mfirst[mach[x]]
            while mnext[last] >= 0:
                last = mnext[last]
            _link_after(x, last, mnext, mprev)
    else:
        if anchor >= 0:
            _link_after(x, anchor, mnext, mprev)
        else:
            first = mfirst[mach[x]]
            _link_before(x, first, mach, mnext, mprev, mfirst)


@njit(cache=True, nogil=True)
def _random(rng):
    """xorshift64*: the next number from the state in rng[0]."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    return x * np.uint64(2685821657736338717)


@njit(cache=True, nogil=True)
def _critical_path(dur, jnext, mnext, head, tail, span, rng, path):
    """One critical path into ``path`` (chosen at random where it forks); returns its length."""
    n = dur.shape[0]
    count = 0
    for o in range(n):
        if head[o] == 0 and dur[o] + tail[o] == span:
            path[count] = o
            count += 1
    o = path[_random(rng) % np.uint64(count)]
    length = 0
    while True:
        path[length] = o
        length += 1
        end = head[o] + dur[o]
        a = jnext[o]
        b = mnext[o]
        a_ok = a >= 0 and head[a] == end and end + dur[a] + tail[a] == span
        b_ok = b >= 0 and head[b] == end and end + dur[b] + tail[b] == span
        if a_ok and b_ok:
            o = a if _random(rng) % np.uint64(2) == 0 else b
        elif a_ok:
            o = a
        elif b_ok:
            o = b
        else:
            return length


@njit(cache=True, nogil=True)
def _moves(path, length, mnext, move_x, move_t, move_f):
    """The N7 moves of a critical path (Zhang et al. 2007), each as (x, t, forward): x moved
    just before t (forward) or just after it. In a block but the first: an operation moved to
    the front, the front moved inside; in a block but the last: an operation moved to the
    back, the back moved inside. (The first block's front and the last block's back cannot
    change the path's length.)"""
    moves = 0
    i = 0
    first_block = True
    while i < length:
        j = i
        while j + 1 < length and mnext[path[j]] == path[j + 1]:
            j += 1
        last_block = j == length - 1
        if j > i:
            if not first_block:
                for k in range(i + 1, j + 1):
                    move_x[moves], move_t[moves], move_f[moves] = path[k], path[i], True
                    moves += 1
                for k in range(i + 2, j):
                    move_x[moves], move_t[moves], move_f[moves] = path[i], path[k], False
                    moves += 1
            if not last_block:
                for k in range(i, j):
                    if k == i and j == i + 1 and not first_block:
                        continue  # the same swap as above
                    move_x[moves], move_t[moves], move_f[moves] = path[k], path[j], False
                    moves += 1
                for k in range(i + 1, j - 1):
                    move_x[moves], move_t[moves], move_f[moves] = path[j], path[k], True
                    moves += 1
        first_block = False
        i = j + 1
    return moves


@njit(cache=True, nogil=True)
def _affected(x, t, forward, mnext, buf):
    """The operations whose order the move changes, in their new order; returns the count."""
    count = 0
    if forward:
        buf[0] = x
        count = 1
        o = t
        while o != x:
            buf[count] = o
            count += 1
            o = mnext[o]
    else:
        o = mnext[x]
        while True:
            buf[count] = o
            count += 1
            if o == t:
                break
            o = mnext[o]
        buf[count] = x
        count += 1
    return count


@njit(cache=True, nogil=True)
def _estimate(x, t, forward, dur, jnext, jprev, mnext, mprev, head, tail, buf, ends):
    """The longest path through the reordered operations after the move, from the heads and
    tails before it (Balas and Vazacopoulos' estimate: the move may change other operations'
    heads and tails too, so the chosen move's makespan is then computed exactly)."""
    count = _affected(x, t, forward, mnext, buf)
    before = mprev[t] if forward else mprev[x]
    after = mnext[x] if forward else mnext[t]
    done = head[before] + dur[before] if before >= 0 else 0
    for i in range(count):
        o = buf[i]
        p = jprev[o]
        start = done
        if p >= 0 and head[p] + dur[p] > start:
            start = head[p] + dur[p]
        ends[i] = start + dur[o]
        done = start + dur[o]
    rest = dur[after] + tail[after] if after >= 0 else 0
    longest = 0
    for i in range(count - 1, -1, -1):
        o = buf[i]
        s = jnext[o]
        q = rest
        if s >= 0 and dur[s] + tail[s] > q:
            q = dur[s] + tail[s]
        if ends[i] + q > longest:
            longest = ends[i] + q
        rest = dur[o] + q
    return longest


@njit(cache=True, nogil=True)
def _slot(key, mask):
    """The tabu table's slot of a pair's key, ``a * n + b`` for "a before b" (Fibonacci
    hashing)."""
    mixed = np.uint64(key) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64((mixed >> np.uint64(40)) & np.uint64(mask))


@njit(cache=True, nogil=True)
def _is_tabu(x, t, forward, mnext, tabu_key, tabu_until, it):
    """True when the move would put back an order of two operations a recent move reversed."""
    n = mnext.shape[0]
    mask = tabu_key.shape[0] - 1
    o = t if forward else mnext[x]
    while True:
        # forward: x before o; backward: o before x
        key = x * n + o if forward else o * n + x
        slot = _slot(key, mask)
        if tabu_until[slot] > it and tabu_key[slot] == key:
            return True
        if (not forward and o == t) or (forward and mnext[o] == x):
            return False
        o = mnext[o]


@njit(cache=True, nogil=True)
def _forbid(x, anchor, forward, mfirst, mach, mnext, tabu_key, tabu_until, until):
    """After moving x: forbid, until ``until``, the orders it reversed. A pair that lands in
    a slot held by another one overwrites it, which only ends the other's tenure early."""
    n = mnext.shape[0]
    mask = tabu_key.shape[0] - 1
    if forward:
        o = mnext[x]
        while o != anchor:
            key = o * n + x
            slot = _slot(key, mask)
            tabu_key[slot], tabu_until[slot] = key, until
            o = mnext[o]
    else:
        o = mnext[anchor] if anchor >= 0 else mfirst[mach[x]]
        while o != x:
            key = x * n + o
            slot = _slot(key, mask)
            tabu_key[slot], tabu_until[slot] = key, until
            o = mnext[o]


@njit(cache=True, nogil=True)
def _search(
    dur, mach, jnext, jprev, mnext, mprev, mfirst, best_next, best_prev, best_first,
    state, tabu_key, tabu_until, rng, iterations, stall_limit, tenure_low, tenure_high,
):  # fmt: skip
    """``iterations`` moves of the search; ``state`` = [moves made, best makespan, current
    makespan, moves since a new best, returns to the best since a new best]."""
    n = dur.shape[0]
    head = np.zeros(n, dtype=np.int64)
    tail = np.zeros(n, dtype=np.int64)
    order = np.zeros(n, dtype=np.int64)
    path = np.zeros(n, dtype=np.int64)
    buf = np.zeros(n, dtype=np.int64)
    ends = np.zeros(n, dtype=np.int64)
    size = 4 * n + 4
    move_x = np.zeros(size, dtype=np.int64)
    move_t = np.zeros(size, dtype=np.int64)
    move_f = np.zeros(size, dtype=np.bool_)
    value = np.zeros(size, dtype=np.int64)
    allowed = np.zeros(size, dtype=np.bool_)
    width = np.uint64(tenure_high - tenure_low + 1)
    for _ in range(iterations):
        it = state[0]
        state[0] += 1
        span = _heads(dur, jnext, jprev, mnext, mprev, head, order)
        _tails(dur, jnext, mnext, order, tail)
        length = _critical_path(dur, jnext, mnext, head, tail, span, rng, path)
        moves = _moves(path, length, mnext, move_x, move_t, move_f)
        if moves == 0:
            # the critical path is one machine's block or one order's chain: nothing is shorter
            return True
        for k in range(moves):
            value[k] = _estimate(
                move_x[k], move_t[k], move_f[k], dur, jnext, jprev, mnext, mprev, head, tail,
                buf, ends,
            )  # fmt: skip
            allowed[k] = value[k] < state[1] or not _is_tabu(
                move_x[k], move_t[k], move_f[k], mnext, tabu_key, tabu_until, it
            )
        after = -1
        while after < 0:
            chosen = -1
            for k in range(moves):
                if allowed[k] and value[k] >= 0 and (chosen < 0 or value[k] < value[chosen]):
                    chosen = k
            if chosen < 0:
                # every move is tabu (or makes a cycle): take one at random
                for _try in range(moves):
                    pick = np.int64(_random(rng) % np.uint64(moves))
                    if value[pick] >= 0:
                        chosen = int(pick)
                        break
                if chosen < 0:
                    break
            x, t, forward = move_x[chosen], move_t[chosen], move_f[chosen]
            anchor = _apply(x, t, forward, mach, mnext, mprev, mfirst)
            after = _heads(dur, jnext, jprev, mnext, mprev, head, order)
            if after < 0:
                _undo(x, anchor, forward, mach, mnext, mprev, mfirst)
                value[chosen] = -1
        if after < 0:
            return False  # no move keeps the plan acyclic (not seen in practice)
        until = it + tenure_low + np.int64(_random(rng) % width)
        _forbid(x, anchor, forward, mfirst, mach, mnext, tabu_key, tabu_until, until)
        state[2] = after
        if after < state[1]:
            state[1] = after
            state[3] = 0
            state[4] = 0
            best_next[:] = mnext
            best_prev[:] = mprev
            best_first[:] = mfirst
            continue
        state[3] += 1
        if state[3] <= stall_limit:
            continue
        # back to the best, shaken by a few random moves on its critical path
        mnext[:] = best_next
        mprev[:] = best_prev
        mfirst[:] = best_first
        tabu_until[:] = 0
        state[3] = 0
        state[4] += 1
        for _shake in range(2 + 2 * state[4] + np.int64(_random(rng) % np.uint64(4))):
            span = _heads(dur, jnext, jprev, mnext, mprev, head, order)
            _tails(dur, jnext, mnext, order, tail)
            length = _critical_path(dur, jnext, mnext, head, tail, span, rng, path)
            moves = _moves(path, length, mnext, move_x, move_t, move_f)
            if moves == 0:
                break
            pick = np.int64(_random(rng) % np.uint64(moves))
            anchor = _apply(move_x[pick], move_t[pick], move_f[pick], mach, mnext, mprev, mfirst)
            if _heads(dur, jnext, jprev, mnext, mprev, head, order) < 0:
                _undo(move_x[pick], anchor, move_f[pick], mach, mnext, mprev, mfirst)
    return False


def makespan(instance: Instance, sequences: Sequence[Sequence[int]]) -> int:
    """The makespan of machine sequences (lists of operation numbers); -1 if they cycle."""
    return _earliest(instance, sequences)[1]


def _earliest(instance: Instance, sequences: Sequence[Sequence[int]]) -> tuple[np.ndarray, int]:
    """Each operation's earliest start under the sequences, and the makespan (-1: a cycle)."""
    mnext, mprev, _ = _links(instance, sequences)
    n = len(instance.duration)
    head = np.zeros(n, dtype=np.int64)
    span = _heads(
        instance.duration,
        instance.job_next,
        instance.job_prev,
        mnext,
        mprev,
        head,
        np.zeros(n, dtype=np.int64),
    )
    return head, int(span)


def _links(
    instance: Instance, sequences: Sequence[Sequence[int]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(instance.duration)
    mnext = np.full(n, -1, dtype=np.int64)
    mprev = np.full(n, -1, dtype=np.int64)
    mfirst = np.full(instance.machines, -1, dtype=np.int64)
    for m, sequence in enumerate(sequences):
        if len(sequence):
            mfirst[m] = sequence[0]
        for a, b in itertools.pairwise(sequence):
            mnext[a] = b
            mprev[b] = a
    return mnext, mprev, mfirst


def _sequences(mfirst: np.ndarray, mnext: np.ndarray) -> list[list[int]]:
    out = []
    for first in mfirst:
        sequence = []
        o = int(first)
        while o >= 0:
            sequence.append(o)
            o = int(mnext[o])
        out.append(sequence)
    return out


TABLE = 1 << 12
"""Slots of the tabu table (a power of two; about 60 pairs are tabu at a time)."""
CHUNK = 2_000
"""Moves between two looks at the clock (about 10 ms on a 15 x 15 instance)."""
STALL = 20_000
"""Moves without a new best before the search goes back to its best and shakes it."""
TENURES = (4, 8)
"""The shortest tabu tenure of each worker's search in turn, plus jobs per machine; the longest
is 1.5 times it. The short one digs deeper around the best, the long one leaves it sooner:
neither is better on every instance, two searches with one each beat two with the same
(bench/README.md (a))."""


@dataclass
class _Search:
    mnext: np.ndarray
    mprev: np.ndarray
    mfirst: np.ndarray
    best_next: np.ndarray
    best_prev: np.ndarray
    best_first: np.ndarray
    state: np.ndarray

    @property
    def best(self) -> int:
        return int(self.state[1])


def improve(
    instance: Instance,
    sequences: Sequence[Sequence[int]],
    *,
    deadline: float,
    workers: int = 1,
    seed: int = 0,
    stop_at: int = 0,
    check: Callable[[], None] | None = None,
) -> tuple[list[list[int]], int]:
    """Better machine sequences than ``sequences``, searched until ``deadline`` (perf_counter).

    Returns the best sequences and their makespan. ``workers`` searches run in threads from
    the same start; all stop when one reaches ``stop_at`` (a lower bound) or proves its plan
    optimal (its critical path is one block). ``check`` is called from the
    calling thread between chunks of moves; when it raises (a job's cancel), every search
    stops and the exception goes up.
    """
    n = len(instance.duration)
    mnext, mprev, mfirst = _links(instance, sequences)
    start = makespan(instance, sequences)
    if start < 0:
        raise ValueError("the sequences make a cycle")
    jobs_per_machine = max(1, n // max(1, instance.machines) // max(1, instance.machines))
    searches = [
        _Search(
            mnext.copy(),
            mprev.copy(),
            mfirst.copy(),
            mnext.copy(),
            mprev.copy(),
            mfirst.copy(),
            np.array([0, start, start, 0, 0], dtype=np.int64),
        )
        for _ in range(max(1, workers))
    ]
    stop = threading.Event()

    def run(search: _Search, number: int, check: Callable[[], None] | None = None) -> None:
        rng = np.array([0x9E3779B97F4A7C15 ^ (seed * 1_000_003 + number + 1)], dtype=np.uint64)
        tenure_low = TENURES[number % len(TENURES)] + jobs_per_machine
        tenure_high = tenure_low + tenure_low // 2
        tabu_key = np.full(TABLE, -1, dtype=np.int64)
        tabu_until = np.zeros(TABLE, dtype=np.int64)
        while not stop.is_set() and time.perf_counter() < deadline:
            optimal = _search(
                instance.duration, instance.machine, instance.job_next, instance.job_prev,
                search.mnext, search.mprev, search.mfirst,
                search.best_next, search.best_prev, search.best_first,
                search.state, tabu_key, tabu_until, rng,
                CHUNK, STALL, tenure_low, tenure_high,
            )  # fmt: skip
            if optimal or search.best <= stop_at:
                stop.set()
            if check is not None:
                check()

    threads = [
        threading.Thread(target=run, args=(search, k), daemon=True)
        for k, search in enumerate(searches[1:], start=1)
    ]
    for thread in threads:
        thread.start()
    try:
        run(searches[0], 0, check)
        while alive := [thread for thread in threads if thread.is_alive()]:
            if check is not None:
                check()
            alive[0].join(0.05)
    except BaseException:
        stop.set()
        raise
    finally:
        for thread in threads:
            thread.join()
    best = min(searches, key=lambda s: s.best)
    return _sequences(best.best_first, best.best_next), best.best


# ----------------------------------------------------------------------------------------------
# The engine's step: a plan in, a better plan out


def applies(problem: Problem) -> bool:
    """True when a plan's makespan is the longest path of its sequences: no calendar, setup,
    release, transfer batch or fixed operation (alternatives and parallel machines are fine:
    the search keeps the plan's choice of machine)."""
    if any(wc.calendar is not None or wc.has_setups for wc in problem.work_centers):
        return False
    return all(
        order.release == 0
        and all(
            op.release == 0 and op.transfer_batch is None and op.fixed is None
            for op in order.operations
        )
        for order in problem.orders
    )


def polish(
    problem: Problem,
    plan: Plan,
    *,
    deadline: float,
    workers: int,
    seed: int = 0,
    stop_at: int = 0,
    check: Callable[[], None] | None = None,
) -> Plan | None:
    """A plan with a shorter makespan than ``plan`` on the same machines, or None.

    Only for problems :func:`applies` accepts. The search starts from the plan's sequences
    (each work centre's machine a machine of its own) and runs until ``deadline``, or until
    the makespan reaches ``stop_at``; the plan returned starts every operation as early as
    its sequences allow. ``check`` may raise to stop the search (see :func:`improve`).
    """
    placed = plan.by_operation()
    machine_of: dict[tuple[str, int], int] = {}
    jobs: list[list[tuple[int, int]]] = []
    ids: list[PlannedOperation] = []
    for order in problem.orders:
        job = []
        for op in order.operations:
            got = placed[op.id]
            key = (got.work_center, got.machine)
            m = machine_of.setdefault(key, len(machine_of))
            job.append((m, op.durations[got.work_center]))
            ids.append(got)
        jobs.append(job)
    instance = Instance.from_jobs(jobs, len(machine_of))
    index = {got.operation: k for k, got in enumerate(ids)}
    sequences: list[list[int]] = [[] for _ in machine_of]
    for got in sorted(ids, key=lambda g: (g.start, g.end)):
        sequences[machine_of[got.work_center, got.machine]].append(index[got.operation])
    found, span = improve(
        instance,
        sequences,
        deadline=deadline,
        workers=workers,
        seed=seed,
        stop_at=stop_at,
        check=check,
    )
    if span >= plan.makespan:
        return None
    starts, _ = _earliest(instance, found)
    return make_plan(
        problem,
        (
            replace(
                got,
                start=int(starts[k]),
                end=int(starts[k] + instance.duration[k]),
                setup=0,
                setup_start=None,
            )
            for k, got in enumerate(ids)
        ),
        status="feasible",
        method="tabu search",
        objective=plan.objective,
    )


def compile_kernel() -> None:
    """Compile the kernel into Numba's cache (``make install`` runs this: about 5 s once, so
    that no run's time limit pays for it)."""
    instance = Instance.from_jobs([[(0, 3), (1, 2)], [(1, 2), (0, 1)]], 2)
    improve(instance, [[0, 3], [2, 1]], deadline=time.perf_counter() + 60, stop_at=5)


if __name__ == "__main__":
    compile_kernel()
