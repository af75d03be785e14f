import base64
import contextlib
import csv
import io
import math
import re
from datetime import date, datetime, timedelta

import pytz
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..controllers.tracking_webhook import MAX_DEPTH, OrderDeskTrackingWebhook
from ..models.order_desk_field_guard import (
    INT_LIMIT,
    MAX_NUMBER,
    desk_printable,
    desk_to_id,
    desk_to_number,
)
from ..models.order_desk_tracking_event import (
    FUTURE_TOLERANCE,
    MAX_OFFSET_MINUTES,
    MIN_EVENT_DATE,
)
from ..models.stock_picking import RPC_SOURCES
from .common import OrderDeskCase
from .test_statement import StatementCase

# Deterministic (the examples derive from the test's source), nothing stored on disk, no
# deadline: each property runs in a few seconds.
PURE = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
WITH_DB = settings(PURE, max_examples=30)


class _Undo(Exception):
    """Rolls a property's example back."""


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _time_text(year, month, day, hour, minute, second, separator, joiner, offset):
    clock = f"{hour:02d}:{minute:02d}" + (
        f":{second:02d}" if second is not None else ""
    )
    return (
        f"{year:04d}{separator}{month:02d}{separator}{day:02d}{joiner}{clock}{offset}"
    )


# Times as carriers write them, with every field out of range now and then: offsets up to
# ±99:99, years 0000 to 9999, hours and days that do not exist. (Built from parts: the
# same strings from a regular expression take far longer to draw.)
TIME_TEXT = st.one_of(
    st.text(max_size=30),
    st.builds(
        _time_text,
        st.one_of(st.integers(0, 9999), st.integers(1999, 2027)),
        st.integers(0, 13),
        st.integers(0, 32),
        st.integers(0, 25),
        st.integers(0, 61),
        st.one_of(st.none(), st.integers(0, 61)),
        st.sampled_from(["-", "/", "."]),
        st.sampled_from([" ", "T", "  "]),
        st.one_of(
            st.sampled_from(["", "Z", "z", " "]),
            st.builds(
                lambda sign, hours, minutes, colon: (
                    f"{sign}{hours:02d}{colon}{minutes:02d}"
                ),
                st.sampled_from(["+", "-"]),
                st.integers(0, 99),
                st.integers(0, 99),
                st.sampled_from([":", ""]),
            ),
        ),
    ),
)
ZONES = st.sampled_from(
    [
        None,
        "UTC",
        "Asia/Shanghai",
        "America/Los_Angeles",
        "Pacific/Kiritimati",
        "Etc/GMT+12",
        "Mars/Olympus",
    ]
)


@tagged("post_install", "-at_install")
class TestInputProperties(OrderDeskCase):
    """Property tests of every parser of outside input: whatever a carrier, a file or a
    form sends, the parser accepts it with a sound value or refuses it with a reason,
    never with another error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Picking = cls.env["stock.picking"].with_user(cls.clerk)
        cls.aliases = cls.env["order.desk.tracking.event"]._desk_status_aliases()
        cls.codes = set(cls.aliases.values())
        cls._set_stock(cls.product, 100)
        cls.order, cls.picking = cls._shipped_picking("PROP-1")

    @classmethod
    def _shipped_picking(cls, ref):
        order = cls._order(lines=[(cls.product, 1, {})])
        order.with_user(cls.clerk).action_desk_submit()
        order.with_user(cls.manager).action_desk_approve()
        picking = order.picking_ids
        picking.carrier_tracking_ref = ref
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking.button_validate()
        return order, picking

    # Numbers and text of forms ----------------------------------------------------------
    @PURE
    @given(st.one_of(st.text(), st.floats(), st.integers(), ANY_VALUE))
    def test_numbers_are_finite_or_none(self, value):
        number = desk_to_number(value)
        if number is not None:
            self.assertIsInstance(number, float)
            self.assertTrue(math.isfinite(number))

    @PURE
    @given(st.floats(allow_nan=False, allow_infinity=False))
    def test_finite_numbers_read_back(self, number):
        self.assertEqual(desk_to_number(repr(number)), number)
        self.assertEqual(desk_to_number(f" {number} "), number)

    @PURE
    @given(st.one_of(st.text(), st.text(alphabet="0123456789.+-eE_ ", max_size=12)))
    def test_number_text_is_plain_decimal(self, text):
        """Text is read as a number only in plain decimal notation: ASCII digits, a
        sign, a point, an exponent; float() would also take "1_0", "nan", other digits."""
        number = desk_to_number(text)
        if number is not None:
            self.assertTrue(set(text.strip()) <= set("0123456789.+-eE"), text)
            self.assertEqual(number, float(text))

    @PURE
    @given(
        st.integers(min_value=0, max_value=10**9),
        st.sampled_from([0x0660, 0x06F0, 0x0966, 0xFF10, 0x1D7CE]),
        st.booleans(),
    )
    def test_other_digits_and_separators_are_no_numbers(self, number, zero, underscore):
        digits = str(number)
        other = "".join(chr(zero + int(digit)) for digit in digits)
        self.assertIsNone(desk_to_number(other))
        self.assertIsNone(desk_to_id(other))
        if underscore:
            spaced = "_".join(digits) if len(digits) > 1 else f"{digits}_0"
            self.assertIsNone(desk_to_number(spaced))
            self.assertIsNone(desk_to_id(spaced))
        self.assertEqual(desk_to_number(digits), float(number))
        self.assertEqual(desk_to_id(digits), number or None)

    @PURE
    @given(
        st.one_of(st.text(), st.text(alphabet="0123456789 _+-", max_size=14), ANY_VALUE)
    )
    def test_ids_are_ascii_digits_in_range(self, value):
        record_id = desk_to_id(value)
        if record_id is not None:
            self.assertIsInstance(record_id, int)
            self.assertTrue(0 < record_id < INT_LIMIT)
            self.assertEqual(str(int(value)), str(record_id))
            self.assertTrue(value.isascii() and value.isdigit())

    @PURE
    @given(
        st.recursive(
            st.one_of(st.none(), st.integers(), st.text(max_size=3)),
            lambda children: st.one_of(
                st.lists(children, max_size=3),
                st.dictionaries(st.text(max_size=2), children, max_size=3),
            ),
            max_leaves=40,
        )
    )
    def test_webhook_depth_is_measured_without_recursion(self, payload):
        def depth(value):
            if isinstance(value, dict):
                return 1 + max(map(depth, value.values()), default=0)
            if isinstance(value, list):
                return 1 + max(map(depth, value), default=0)
            return 0

        self.assertEqual(
            OrderDeskTrackingWebhook._desk_depth_ok(payload),
            depth(payload) <= MAX_DEPTH,
        )

    @PURE
    @given(ANY_VALUE, st.integers(min_value=1, max_value=80))
    def test_printable_text(self, value, limit):
        text = desk_printable(value, limit)
        self.assertLessEqual(len(text), limit + 1)
        self.assertTrue(text.isprintable())

    # Carrier event dates and statuses ---------------------------------------------------
    @PURE
    @given(
        st.one_of(
            TIME_TEXT,
            st.datetimes(),
            st.datetimes(timezones=st.timezones()),
            st.dates(),
            ANY_VALUE,
        ),
        ZONES,
    )
    def test_event_dates_are_parsed_or_refused(self, value, zone):
        try:
            moment = self.Picking._desk_parse_event_date(value, zone)
        except ValidationError as error:
            self.assertNotIn("\x00", error.args[0])
            return
        self.assertIsInstance(moment, datetime)
        self.assertIsNone(moment.tzinfo)
        self.assertGreaterEqual(moment, MIN_EVENT_DATE)
        self.assertLessEqual(moment, fields.Datetime.now() + FUTURE_TOLERANCE)

    @PURE
    @given(
        st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2025, 12, 31)),
        st.one_of(
            st.text(min_size=1, max_size=20),
            st.sampled_from(["Mars/Olympus", "UTC+8", "Asia/Beijing", "utc", "GMT+08"]),
        ),
        st.booleans(),
    )
    def test_unknown_zone_refuses_naive_times(self, moment, zone, with_offset):
        """A time without an offset in an unknown zone is refused (it was read as UTC,
        hours off); with an offset the zone does not matter."""
        text = moment.strftime("%Y-%m-%d %H:%M:%S") + ("+08:00" if with_offset else "")
        if zone in pytz.all_timezones_set:
            return
        if with_offset:
            self.assertEqual(
                self.Picking._desk_parse_event_date(text, zone),
                moment.replace(microsecond=0) - timedelta(hours=8),
            )
        else:
            with self.assertRaisesRegex(ValidationError, "time zone"):
                self.Picking._desk_parse_event_date(text, zone)

    @PURE
    @given(
        st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2025, 12, 31)),
        st.integers(min_value=-MAX_OFFSET_MINUTES, max_value=MAX_OFFSET_MINUTES),
        st.sampled_from(["-", "/", "."]),
        st.sampled_from([" ", "T"]),
    )
    def test_offsets_are_converted(self, moment, offset, separator, joiner):
        moment = moment.replace(microsecond=0)
        sign = "-" if offset < 0 else "+"
        text = (
            moment.strftime(f"%Y{separator}%m{separator}%d{joiner}%H:%M:%S")
            + f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
        )
        self.assertEqual(
            self.Picking._desk_parse_event_date(text, "Asia/Shanghai"),
            moment - timedelta(minutes=offset),
        )

    @PURE
    @given(st.data())
    def test_statuses_in_any_spelling(self, data):
        spelling, code = data.draw(st.sampled_from(sorted(self.aliases.items())))
        if data.draw(st.booleans()) and spelling.upper().lower() == spelling:
            spelling = spelling.upper()
        padded = data.draw(st.sampled_from(["", " ", "\t"])) + spelling + " "
        values = self.Picking._desk_parse_event(
            {"status": padded, "event_date": "2025-01-02 10:00"},
            self.aliases,
            "UTC",
        )
        self.assertEqual(values["status"], code)

    @PURE
    @given(
        st.dictionaries(
            st.sampled_from(
                [
                    "tracking_ref",
                    "event_date",
                    "status",
                    "location",
                    "description",
                    "source",
                    "picking_id",
                    "other",
                ]
            ),
            st.one_of(ANY_VALUE, TIME_TEXT, st.sampled_from(sorted(RPC_SOURCES))),
        ),
    )
    def test_events_are_parsed_or_refused(self, event):
        try:
            values = self.Picking._desk_parse_event(event, self.aliases, "UTC")
        except ValidationError:
            return
        self.assertIn(values["status"], self.codes)
        self.assertIn(values["source"], RPC_SOURCES)
        for key in ("tracking_ref", "location", "description"):
            self.assertTrue(values[key] is False or isinstance(values[key], str))
            self.assertNotIn("\x00", values[key] or "")

    @WITH_DB
    @given(
        st.lists(
            st.fixed_dictionaries(
                {
                    "tracking_ref": st.sampled_from(["PROP-1", "PROP-X", "", "P\x00"]),
                    "event_date": TIME_TEXT,
                    "status": st.one_of(st.text(max_size=12), st.just("in_transit")),
                    "location": st.text(max_size=12),
                }
            ),
            max_size=6,
        )
    )
    def test_one_bad_event_never_loses_the_good_ones(self, events):
        good = {
            "tracking_ref": "PROP-1",
            "event_date": "2025-03-04 05:06",
            "status": "in_transit",
        }
        batch = [*events, good]
        vals_list, errors, known = self.Picking._desk_prepare_tracking_events(batch)
        indexes = [index for index, _error in errors]
        self.assertEqual(len(indexes), len(set(indexes)))
        self.assertTrue(all(1 <= index <= len(batch) for index in indexes))
        self.assertNotIn(len(batch), indexes, "the good event is kept")
        self.assertEqual(len(vals_list) + len(errors) + known, len(batch))
        self.assertTrue(
            any(
                vals["event_date"] == datetime(2025, 3, 4, 5, 6)
                and vals["status"] == "in_transit"
                for vals in vals_list
            )
        )

    # Carrier files ----------------------------------------------------------------------
    @WITH_DB
    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["PROP-1", "PROP-X", "", "PROP\x00"]),
                TIME_TEXT,
                st.one_of(
                    st.sampled_from(["已签收", "in transit", "运输中"]), st.text()
                ),
                st.text(max_size=10),
                st.text(max_size=10),
            ),
            min_size=1,
            max_size=8,
        )
    )
    def test_import_rows_are_recorded_or_numbered(self, rows):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(
            ["tracking number", "time", "status", "location", "description"]
        )
        writer.writerows(rows)
        wizard = (
            self.env["order.desk.tracking.import.wizard"]
            .with_user(self.clerk)
            .create(
                {
                    "file": base64.b64encode(buffer.getvalue().encode()),
                    "filename": "carrier.csv",
                    "tz": "Asia/Shanghai",
                }
            )
        )
        try:
            wizard.action_import()
        except UserError:
            # Only a file that cannot be read at all (its header row) is refused whole.
            self.assertFalse(wizard.row_count)
            return
        self.assertEqual(
            wizard.new_count + wizard.known_count + wizard.error_count,
            wizard.row_count,
        )
        numbers = [
            int(re.match(r"Row (\d+): ", line).group(1))
            for line in (wizard.error_text or "").splitlines()
            if re.match(r"Row \d+: ", line)
        ]
        self.assertEqual(len(numbers), wizard.error_count)
        self.assertTrue(all(number >= 2 for number in numbers))
        self.assertNotIn("\x00", wizard.error_text or "")

    # Text and numbers of every desk record ------------------------------------------------
    @WITH_DB
    @given(
        st.text(max_size=40),
        st.one_of(st.floats(min_value=0), st.just(math.nan), st.just(1e308)),
    )
    def test_records_refuse_nul_and_impossible_numbers(self, text, quantity):
        Incident = self.env["order.desk.incident"].with_user(self.clerk)
        refused = (
            "\x00" in text or not math.isfinite(quantity) or quantity >= MAX_NUMBER
        )
        try:
            with self.env.cr.savepoint():
                incident = Incident.create(
                    {
                        "incident_type": "other",
                        "order_id": self.order.id,
                        "description": text,
                        "notify_customer": False,
                    }
                )
                incident.write(
                    {
                        "line_ids": [
                            (
                                0,
                                0,
                                {
                                    "sale_line_id": self.order.order_line.id,
                                    "quantity": quantity,
                                },
                            )
                        ]
                    }
                )
        except ValidationError:
            self.assertTrue(refused, (text, quantity))
            return
        self.assertFalse(refused, (text, quantity))


@tagged("post_install", "-at_install")
class TestStatementInputProperties(StatementCase):
    """The customer's dispute (portal or RPC): an amount and a reason, or a refusal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Property Buyer")
        cls._invoice(cls.customer, 300.0, "2026-10-05")

    def setUp(self):
        super().setUp()
        self.statement = self._generate(
            date(2026, 10, 1), date(2026, 10, 31), self.customer
        ).with_user(self.accountant)

    @PURE
    @given(
        st.one_of(ANY_VALUE, st.floats(), st.text(max_size=12)),
        st.one_of(ANY_VALUE, st.text(max_size=20)),
        st.booleans(),
    )
    def test_disputes_are_checked(self, amount, reason, on_line):
        line = self.statement.line_ids[:1] if on_line else None
        dispute = {"amount": amount, "reason": reason}
        if line:
            dispute["line_id"] = line.id
        try:
            vals = self.statement._desk_dispute_vals(dispute)
        except UserError:
            return
        self.assertGreater(vals["amount"], 0)
        self.assertLessEqual(vals["amount"], 300.0 + 0.005)
        self.assertTrue(vals["reason"])
        self.assertNotIn("\x00", vals["reason"])

    @WITH_DB
    @given(
        st.lists(
            st.tuples(
                st.floats(min_value=0.01, max_value=400, allow_nan=False),
                st.booleans(),
            ),
            min_size=1,
            max_size=6,
        )
    )
    def test_open_disputes_never_exceed_the_statement(self, disputes):
        """Dispute after dispute, on the whole balance or the line: the open ones add
        up to at most what the statement (300) and the line show."""
        statement = self.statement
        line = statement.line_ids[:1]
        # _Undo rolls the savepoint back: every example starts from the same statement.
        with contextlib.suppress(_Undo), self.env.cr.savepoint():
            # As the sending would, without its e-mail.
            statement.sudo().write({"state": "sent"})
            for amount, on_line in disputes:
                values = {"amount": round(amount, 2), "reason": "Not ours"}
                if on_line:
                    values["line_id"] = line.id
                # A dispute beyond the statement is refused: what counts is the sum.
                with contextlib.suppress(UserError), self.env.cr.savepoint():
                    statement.action_dispute([values])
                open_disputes = statement.dispute_ids.filtered(
                    lambda d: d.state == "open"
                )
                self.assertLessEqual(sum(open_disputes.mapped("amount")), 300.0 + 0.005)
                on_the_line = open_disputes.filtered(lambda d: d.line_id == line)
                self.assertLessEqual(sum(on_the_line.mapped("amount")), 300.0 + 0.005)
            raise _Undo
        self.env.invalidate_all()
