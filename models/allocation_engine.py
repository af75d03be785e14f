"""How an allocation run shares supply among order lines: plain Python, no database.

``order.desk.allocation`` gathers the figures (what each line wants and holds, what is free,
what arrives when) and hands them to :func:`allocate`; the result is what it proposes. Kept
apart so that the arithmetic can be read, and tested, on its own.
"""

import math
from dataclasses import dataclass, field


@dataclass
class Demand:
    """One order line competing for one product (quantities in the product's unit)."""

    key: object
    sort_key: tuple
    rank: object
    wanted: float
    reserved: float = 0.0
    picked: float = 0.0
    cap: float | None = None
    # Results
    allocated: float = 0.0
    incoming: float = 0.0
    receipt: object = None
    receipt_date: object = None
    receipts: list = field(default_factory=list)

    def upper(self):
        """The most this line may hold: what it wants, within its quota, never less than
        what is already picked (picked goods cannot be taken back)."""
        limit = self.wanted if self.cap is None else min(self.wanted, self.cap)
        return max(limit, self.picked)


def _floor(value, step):
    return math.floor(value / step + 1e-9) * step


def _clean(value, step):
    digits = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return round(value, digits + 2)


def _water_fill(pool, weights, lower, upper):
    """Shares of ``pool`` in proportion to ``weights``, each within ``[lower, upper]``.

    Finds the factor ``f`` with ``sum(clamp(f * w, lo, up)) == pool`` by bisection (the sum
    grows with ``f``); ``pool`` is assumed to lie between the sums of the bounds.
    """
    if pool >= sum(upper):
        return list(upper)
    if pool <= sum(lower):
        return list(lower)
    low, high = 0.0, max(up / w for up, w in zip(upper, weights, strict=True) if w > 0)
    shares = list(lower)
    for _iteration in range(100):
        middle = (low + high) / 2
        shares = [
            min(max(middle * w, lo), up)
            for w, lo, up in zip(weights, lower, upper, strict=True)
        ]
        total = sum(shares)
        if abs(total - pool) < 1e-9:
            break
        if total < pool:
            low = middle
        else:
            high = middle
    return shares


def _share(pool, demands, lower, upper, step):
    """Fair shares of ``pool`` among ``demands`` (in their order), rounded to ``step``.

    Proportional to what each line wants; the rounding remainder goes, one step at a time,
    to the largest fractions first, then to the earliest lines.
    """
    weights = [max(d.wanted, step) for d in demands]
    exact = _water_fill(pool, weights, lower, upper)
    shares = [
        max(_floor(value, step), lo) for value, lo in zip(exact, lower, strict=True)
    ]
    left = _floor(pool - sum(shares) + 1e-9, step)
    order = sorted(
        range(len(demands)),
        key=lambda i: (-(exact[i] - shares[i]), demands[i].sort_key),
    )
    while left >= step - 1e-9:
        given = False
        for i in order:
            if left < step - 1e-9:
                break
            if shares[i] + step <= upper[i] + 1e-9:
                shares[i] += step
                left -= step
                given = True
        if not given:
            break
    return [_clean(value, step) for value in shares]


def _by_rank(demands):
    groups = {}
    for demand in demands:
        groups.setdefault(demand.rank, []).append(demand)
    return [groups[rank] for rank in sorted(groups)]


def allocate(demands, free, receipts, method="sequential", take_back=False, step=1.0):
    """Share ``free`` stock and then ``receipts`` among ``demands``; fills their results.

    :param demands: :class:`Demand` of one product.
    :param free: quantity free now (not reserved by anybody).
    :param receipts: ``[(receipt, date, quantity)]`` expected, in date order.
    :param method: ``sequential`` serves the lines in their ``sort_key`` order;
        ``fair_share`` serves the ranks in order and, inside a rank, shares in proportion
        to what each line wants.
    :param take_back: lines may lose what they hold to lines ahead of them (a higher rank
        for ``fair_share``); otherwise what a line holds stays and only ``free`` is shared.
    :param step: the product's rounding: every quantity is a multiple of it.
    :returns: the quantity left free after the run.
    """
    demands = sorted(demands, key=lambda d: d.sort_key)
    # What each line keeps whatever happens: its picked goods, or all it holds without
    # take-back. The pool is everything else.
    base = {id(d): d.picked if take_back else d.reserved for d in demands}
    pool = free + (sum(d.reserved - d.picked for d in demands) if take_back else 0.0)
    if method == "fair_share":
        for group in _by_rank(demands):
            bases = [base[id(d)] for d in group]
            uppers = [max(d.upper(), base[id(d)]) for d in group]
            available = pool + sum(bases)
            # Inside a rank nobody loses to a peer: what a line holds is its floor, unless
            # a higher rank already took some of it.
            held = [
                min(max(d.reserved, b), up)
                for d, b, up in zip(group, bases, uppers, strict=True)
            ]
            lower = held if sum(held) <= available + 1e-9 else bases
            shares = _share(available, group, lower, uppers, step)
            for demand, share, b in zip(group, shares, bases, strict=True):
                demand.allocated = share
                pool -= share - b
    else:
        for demand in demands:
            b = base[id(demand)]
            extra = min(max(demand.upper() - b, 0.0), max(pool, 0.0))
            extra = _floor(extra, step)
            demand.allocated = _clean(b + extra, step)
            pool -= extra
    for receipt, date, quantity in receipts:
        left = quantity
        needs = [d for d in demands if d.upper() - d.allocated - d.incoming > 1e-9]
        if not needs or left <= 0:
            continue
        if method == "fair_share":
            for group in _by_rank(needs):
                if left < step - 1e-9:
                    break
                uppers = [d.upper() - d.allocated - d.incoming for d in group]
                shares = _share(
                    min(left, sum(uppers)), group, [0.0] * len(group), uppers, step
                )
                for demand, share in zip(group, shares, strict=True):
                    if share > 0:
                        _take_receipt(demand, receipt, date, share, step)
                        left -= share
        else:
            for demand in needs:
                if left < step - 1e-9:
                    break
                share = _floor(
                    min(demand.upper() - demand.allocated - demand.incoming, left), step
                )
                if share > 0:
                    _take_receipt(demand, receipt, date, share, step)
                    left -= share
    return _clean(max(pool, 0.0), step)


def _take_receipt(demand, receipt, date, quantity, step):
    demand.incoming = _clean(demand.incoming + quantity, step)
    demand.receipt = receipt
    demand.receipt_date = date
    demand.receipts.append((receipt, quantity))
