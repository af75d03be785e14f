from hypothesis import given, settings
from hypothesis import strategies as st

from odoo.tests import BaseCase, tagged

from odoo.addons.order_desk.models.allocation_engine import Demand, allocate


def _demand(key, order, wanted, rank=0, reserved=0.0, picked=0.0, cap=None):
    return Demand(
        key=key,
        sort_key=(order,),
        rank=rank,
        wanted=wanted,
        reserved=reserved,
        picked=picked,
        cap=cap,
    )


@tagged("post_install", "-at_install")
class TestAllocationEngine(BaseCase):
    """The arithmetic of a run, on hand-computed cases and on random ones."""

    def _result(self, demands):
        return {d.key: (d.allocated, d.incoming) for d in demands}

    def test_sequential_serves_in_turn(self):
        demands = [_demand("b", 2, 5), _demand("a", 1, 4), _demand("c", 3, 4)]
        left = allocate(demands, 10, [])
        self.assertEqual(self._result(demands), {"a": (4, 0), "b": (5, 0), "c": (1, 0)})
        self.assertEqual(left, 0)

    def test_sequential_keeps_what_lines_hold(self):
        # Without take-back, "c" keeps its 3 although it comes last; only the 2 free move.
        demands = [
            _demand("a", 1, 4),
            _demand("b", 2, 2),
            _demand("c", 3, 5, reserved=3),
        ]
        allocate(demands, 2, [])
        self.assertEqual(self._result(demands), {"a": (2, 0), "b": (0, 0), "c": (3, 0)})

    def test_take_back_from_the_last_lines_first(self):
        # Pool 1 free + 3 + 4 held = 8: "a" takes 5, "b" keeps 3 of its 3, "c" 0 of 4.
        demands = [
            _demand("a", 1, 5),
            _demand("b", 2, 3, reserved=3),
            _demand("c", 3, 4, reserved=4, picked=0),
        ]
        allocate(demands, 1, [], take_back=True)
        self.assertEqual(self._result(demands), {"a": (5, 0), "b": (3, 0), "c": (0, 0)})

    def test_take_back_never_takes_picked_goods(self):
        demands = [_demand("a", 1, 5), _demand("b", 2, 4, reserved=4, picked=3)]
        allocate(demands, 0, [], take_back=True)
        self.assertEqual(self._result(demands), {"a": (1, 0), "b": (3, 0)})

    def test_fair_share_within_a_rank(self):
        # Rank 0 first (wants 2), then 6 shared 6:4:2 -> 3, 2, 1.
        demands = [
            _demand("x", 0, 2, rank=0),
            _demand("a", 1, 6, rank=1),
            _demand("b", 2, 4, rank=1),
            _demand("c", 3, 2, rank=1),
        ]
        allocate(demands, 8, [], method="fair_share")
        self.assertEqual(
            self._result(demands),
            {"x": (2, 0), "a": (3, 0), "b": (2, 0), "c": (1, 0)},
        )

    def test_fair_share_rounding_goes_to_the_largest_remainder(self):
        # 5 among 4 and 3 (7): exact 2.857 and 2.143 -> 2 and 2, the last unit to "a".
        demands = [_demand("a", 1, 4), _demand("b", 2, 3)]
        allocate(demands, 5, [], method="fair_share")
        self.assertEqual(self._result(demands), {"a": (3, 0), "b": (2, 0)})

    def test_fair_share_respects_caps_and_holdings(self):
        # "a" may take 1 (quota): the rest goes to "b" and "c" by their wants; "c" holds 2.
        demands = [
            _demand("a", 1, 6, cap=1),
            _demand("b", 2, 6),
            _demand("c", 3, 3, reserved=2),
        ]
        allocate(demands, 6, [], method="fair_share")
        result = self._result(demands)
        self.assertEqual(result["a"], (1, 0))
        self.assertEqual(result["c"][0] >= 2, True)
        self.assertEqual(sum(alloc for alloc, _inc in result.values()), 8)

    def test_receipts_in_date_order(self):
        demands = [_demand("a", 1, 4), _demand("b", 2, 3)]
        allocate(demands, 2, [("IN1", "d1", 3), ("IN2", "d2", 5)])
        self.assertEqual(self._result(demands), {"a": (2, 2), "b": (0, 3)})
        self.assertEqual(demands[0].receipt, "IN1")
        self.assertEqual(demands[1].receipts, [("IN1", 1), ("IN2", 2)])
        self.assertEqual(demands[1].receipt, "IN2")

    def test_cap_limits_receipts_too(self):
        demands = [_demand("a", 1, 5, cap=3)]
        allocate(demands, 1, [("IN1", "d1", 10)])
        self.assertEqual(self._result(demands), {"a": (1, 2)})

    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(1, 12),
                st.integers(0, 12),
                st.integers(0, 12),
                st.one_of(st.none(), st.integers(0, 12)),
            ),
            min_size=1,
            max_size=8,
        ),
        st.integers(0, 30),
        st.lists(st.integers(0, 10), max_size=3),
        st.sampled_from(["sequential", "fair_share"]),
        st.booleans(),
    )
    def test_invariants(self, rows, free, receipts, method, take_back):
        demands = []
        for index, (rank, wanted, reserved, picked, cap) in enumerate(rows):
            reserved = min(reserved, wanted)
            picked = min(picked, reserved)
            demands.append(_demand(index, index, wanted, rank, reserved, picked, cap))
        held = sum(d.reserved for d in demands)
        allocate(
            demands,
            free,
            [(f"IN{i}", i, qty) for i, qty in enumerate(receipts)],
            method=method,
            take_back=take_back,
        )
        self.assertLessEqual(sum(d.allocated for d in demands), free + held)
        self.assertLessEqual(sum(d.incoming for d in demands), sum(receipts))
        for d in demands:
            floor = d.picked if take_back else d.reserved
            self.assertGreaterEqual(d.allocated, floor)
            self.assertLessEqual(d.allocated, max(d.wanted, floor))
            self.assertLessEqual(d.allocated + d.incoming, max(d.upper(), floor))
            self.assertEqual(d.allocated, int(d.allocated), "whole units")
        if method == "sequential" and not take_back:
            # Nobody later in turn got free stock while an earlier line still misses some
            # that it could take.
            missing = False
            for d in sorted(demands, key=lambda d: d.sort_key):
                gained = d.allocated - d.reserved
                if missing and gained > 0:
                    self.fail("a later line was served before an earlier one")
                if d.allocated < d.upper():
                    missing = True
