from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

TRACKING_STATUSES = [
    ("info_received", "Info Received"),
    ("picked_up", "Picked Up"),
    ("in_transit", "In Transit"),
    ("out_for_delivery", "Out for Delivery"),
    ("delivered", "Delivered"),
    ("failed_attempt", "Failed Attempt"),
    ("exception", "Exception"),
    ("returned", "Returned to Sender"),
]

TRACKING_SOURCES = [
    ("manual", "Manual"),
    ("import", "Import"),
    ("webhook", "Webhook"),
]

# Words carriers use for each status besides the codes and the translated labels.
CARRIER_STATUS_WORDS = {
    "已下单": "info_received",
    "待揽收": "info_received",
    "待攬收": "info_received",
    "已揽收": "picked_up",
    "已揽件": "picked_up",
    "已攬收": "picked_up",
    "已攬件": "picked_up",
    "运输中": "in_transit",
    "運輸中": "in_transit",
    "转运中": "in_transit",
    "轉運中": "in_transit",
    "在途": "in_transit",
    "派送中": "out_for_delivery",
    "派件中": "out_for_delivery",
    "配送中": "out_for_delivery",
    "已签收": "delivered",
    "已簽收": "delivered",
    "签收": "delivered",
    "簽收": "delivered",
    "妥投": "delivered",
    "派送失败": "failed_attempt",
    "派送失敗": "failed_attempt",
    "投递失败": "failed_attempt",
    "投遞失敗": "failed_attempt",
    "异常": "exception",
    "異常": "exception",
    "问题件": "exception",
    "問題件": "exception",
    "已退回": "returned",
    "退回": "returned",
    "退件": "returned",
}

# A carrier's clock may run a few minutes ahead of ours; an event later than now plus this
# is refused on every path (form, RPC, import, webhook).
FUTURE_TOLERANCE = timedelta(minutes=5)

# No tracking event happened before this (UTC): earlier times are typing mistakes or
# placeholders (0001-01-01), refused on every path.
MIN_EVENT_DATE = datetime(2000, 1, 1)

# The largest offset from UTC of a real time zone (UTC+14:00, Kiribati; UTC-12:00 the
# other way): "+23:59" is no time zone.
MAX_OFFSET_MINUTES = 14 * 60

# Statuses that mean trouble on the way: an incident is opened for the delivery.
TROUBLE_STATUSES = {
    "failed_attempt": "address",
    "returned": "address",
    "exception": "other",
}


class OrderDeskTrackingEvent(models.Model):
    _name = "order.desk.tracking.event"
    _description = "Order Desk Tracking Event"
    _inherit = ["order.desk.field.guard"]
    _order = "event_date desc, id desc"
    _rec_name = "status"
    _check_company_auto = True

    # Where the event came from is the path's to say: the form records manual events, the
    # import and the webhook their own (see stock.picking.desk_add_tracking_events).
    _desk_system_fields = frozenset({"source"})
    # An event records what happened to a delivery: it does not move to another delivery,
    # nor change its time or status (a wrong one is deleted and recorded again).
    _desk_fixed_fields = frozenset({"picking_id", "event_date", "status"})

    picking_id = fields.Many2one(
        "stock.picking",
        string="Delivery",
        required=True,
        ondelete="cascade",
        index=True,
        # No check_company: the event's company is the delivery's own (related), and
        # checking it record by record made most of the time of a large import.
        domain="[('picking_type_code', '=', 'outgoing')]",
    )
    company_id = fields.Many2one(
        related="picking_id.company_id", store=True, index=True
    )
    sale_id = fields.Many2one(
        related="picking_id.sale_id", string="Sales Order", store=True, index=True
    )
    partner_id = fields.Many2one(
        related="picking_id.partner_id", string="Customer", store=True
    )
    carrier_id = fields.Many2one(related="picking_id.carrier_id", store=True)
    tracking_ref = fields.Char(string="Tracking Number", index=True)

    event_date = fields.Datetime(string="Time", required=True, index=True)
    status = fields.Selection(TRACKING_STATUSES, required=True, index=True)
    location = fields.Char()
    description = fields.Char()
    source = fields.Selection(
        TRACKING_SOURCES, required=True, default="manual", readonly=True
    )

    _unique_event = models.Constraint(
        "UNIQUE(picking_id, event_date, status)",
        "This delivery already has an event with the same time and status.",
    )

    @api.constrains("picking_id")
    def _check_picking_id(self):
        wrong = self.picking_id.filtered(lambda p: p.picking_type_code != "outgoing")
        if wrong:
            raise ValidationError(
                self.env._(
                    "Tracking events belong to deliveries; %(picking)s is not one.",
                    picking=wrong[0].display_name,
                )
            )

    @api.constrains("event_date")
    def _check_event_date(self):
        early = self.filtered(lambda e: e.event_date < MIN_EVENT_DATE)
        if early:
            raise ValidationError(
                self.env._(
                    "The tracking event at %(date)s is before 2000: check the year of "
                    "the event's date.",
                    date=fields.Datetime.to_string(early[0].event_date),
                )
            )
        limit = fields.Datetime.now() + FUTURE_TOLERANCE
        future = self.filtered(lambda e: e.event_date > limit)
        if future:
            raise ValidationError(
                self.env._(
                    "The tracking event at %(date)s is in the future: enter the date "
                    "and time it happened, in your time zone.",
                    date=fields.Datetime.to_string(future[0].event_date),
                )
            )

    @api.constrains("status", "picking_id")
    def _check_delivered_after_shipping(self):
        early = self.filtered(
            lambda e: (
                e.status == "delivered"
                and e.picking_id.picking_type_code == "outgoing"
                and not e.picking_id._desk_has_left()
            )
        )
        if early:
            raise ValidationError(
                self.env._(
                    "%(picking)s has not left yet: it cannot be delivered.",
                    picking=early[0].picking_id.display_name,
                )
            )

    def unlink(self):
        # The delivered date of a delivery comes from its delivered events: without the
        # event that set it, it is the next one's (or none).
        pickings = self.filtered(lambda e: e.status == "delivered").picking_id
        result = super().unlink()
        pickings.exists()._desk_reset_delivered_date()
        return result

    @api.model
    def _desk_status_aliases(self):
        """``{spelling: status}``: the codes, their labels in every installed language and
        the words carriers use, all lower-cased, for files and webhooks."""
        aliases = {}
        for code, _label in TRACKING_STATUSES:
            aliases[code] = code
            aliases[code.replace("_", " ")] = code
        field = self._fields["status"]
        for lang, _name in self.env["res.lang"].get_installed():
            env = self.with_context(lang=lang).env
            for code, label in field._description_selection(env):
                aliases[label.strip().lower()] = code
        aliases.update(CARRIER_STATUS_WORDS)
        return aliases

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events.picking_id._desk_after_tracking_events(events)
        return events
