from datetime import datetime, time, timedelta

import pytz

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError

from .order_desk_kpi_report import TARGETS

MANAGER_GROUP = "order_desk.group_order_desk_manager"

ALERT_KPIS = [
    ("on_time", "Shipped On Time"),
    ("otif", "OTIF"),
    ("approval_hours", "Approval Lead Time"),
    ("first_pass", "First Pass"),
    ("return_rate", "Return Rate"),
]

# What the weekly check writes; nobody edits it afterwards.
ALERT_FIELDS = ("company_id", "kpi", "date_from", "date_to", "value", "target")


def local_period(company, date_from, date_to):
    """[date_from, date_to) as naive UTC datetimes: the company's local midnights (its
    partner's time zone, UTC when none)."""
    # Odoo's own reading of a time zone name: an unknown one is UTC.
    zone = company.with_context(tz=company.partner_id.tz or "UTC").env.tz
    return tuple(
        zone.localize(datetime.combine(day, time.min))
        .astimezone(pytz.UTC)
        .replace(tzinfo=None)
        for day in (date_from, date_to)
    )


class OrderDeskKpiAlert(models.Model):
    """A KPI that missed its company's target in a week: written by the weekly check, with an
    activity for each desk manager of the company. One per company, KPI and week, so running
    the check again never repeats the activities."""

    _name = "order.desk.kpi.alert"
    _description = "Order Desk KPI Alert"
    _inherit = ["mail.thread", "mail.activity.mixin", "order.desk.field.guard"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    kpi = fields.Selection(ALERT_KPIS, string="KPI", required=True, readonly=True)
    date_from = fields.Date(string="Week From", required=True, readonly=True)
    date_to = fields.Date(
        string="Week To", required=True, readonly=True, help="The day after the week."
    )
    value = fields.Float(readonly=True, digits=(16, 2))
    target = fields.Float(readonly=True, digits=(16, 2))
    higher_is_better = fields.Boolean(compute="_compute_higher_is_better")

    _unique_week = models.Constraint(
        "UNIQUE(company_id, kpi, date_from)",
        "This KPI already has an alert for this company and week.",
    )

    @api.depends("kpi", "date_from")
    def _compute_name(self):
        labels = dict(self._fields["kpi"]._description_selection(self.env))
        for alert in self:
            alert.name = self.env._(
                "%(kpi)s missed its target (week of %(week)s)",
                kpi=labels.get(alert.kpi, ""),
                week=alert.date_from,
            )

    @api.depends("kpi")
    def _compute_higher_is_better(self):
        higher = {key: better for key, _field, better in TARGETS}
        for alert in self:
            alert.higher_is_better = higher.get(alert.kpi, True)

    @api.model_create_multi
    def create(self, vals_list):
        self._desk_ensure_system()
        return super().create(vals_list)

    def write(self, vals):
        if any(name in vals for name in ALERT_FIELDS):
            self._desk_ensure_system()
        return super().write(vals)

    def _desk_ensure_system(self):
        if not self.env.su:
            raise UserError(
                self.env._("KPI alerts are written by the weekly check of the targets.")
            )

    def action_view_report(self):
        """The orders behind the alert: the KPI report of the company and week."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "order_desk.order_desk_kpi_report_action"
        )
        definition = next(
            d
            for d in self.env["order.desk.kpi.report"]._desk_kpi_definitions()
            if d["key"] == self.kpi
        )
        start, end = local_period(self.company_id, self.date_from, self.date_to)
        date_field = definition["date"]
        action["domain"] = [
            ("company_id", "=", self.company_id.id),
            (date_field, ">=", fields.Datetime.to_string(start)),
            (date_field, "<", fields.Datetime.to_string(end)),
        ]
        action["context"] = {}
        return action

    @api.model
    def _cron_desk_check_targets(self, today=None):
        """Scheduled action (weekly): measure last week's KPIs of every company against its
        targets; each miss becomes an alert with a to-do activity for the company's desk
        managers, naming the KPI, its value and the target. A week already checked gives no
        new alert nor activity."""
        today = today or fields.Date.context_today(self)
        date_to = today - timedelta(days=today.weekday())
        date_from = date_to - timedelta(days=7)
        # Every company (a handful of rows), each checked against its own targets. sudo:
        # the scheduler measures all companies' KPIs, past every user's company rules.
        companies = self.env["res.company"].sudo().search([], limit=None)
        Report = self.env["order.desk.kpi.report"].sudo()
        existing = {
            (alert.company_id.id, alert.kpi)
            for alert in self.sudo().search(
                [("company_id", "in", companies.ids), ("date_from", "=", date_from)]
            )
        }
        target_keys = {key for key, _field, _higher in TARGETS}
        vals_list = []
        for company in companies:
            start, end = local_period(company, date_from, date_to)
            for kpi in Report._desk_kpis(company, start, end):
                if (
                    kpi["key"] in target_keys
                    and kpi["met"] is False
                    and (company.id, kpi["key"]) not in existing
                ):
                    vals_list.append(
                        {
                            "company_id": company.id,
                            "kpi": kpi["key"],
                            "date_from": date_from,
                            "date_to": date_to,
                            "value": kpi["value"],
                            "target": kpi["target"],
                        }
                    )
        if not vals_list:
            return self.browse()
        # sudo: the check runs as the scheduler; alerts are the system's own records.
        alerts = self.sudo().create(vals_list)
        alerts._desk_schedule_activities()
        return alerts

    def _desk_schedule_activities(self):
        """A to-do for each desk manager of the alert's company (the superuser left out)."""
        # sudo: the group's members are read to address the to-dos (no right on users is
        # asked of the scheduler's caller).
        managers = (
            self.env.ref(MANAGER_GROUP)
            .sudo()
            .all_user_ids.filtered(
                lambda u: u.active and not u.share and u.id != SUPERUSER_ID
            )
        )
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        vals_list = []
        for alert in self:
            for user in managers.filtered(
                lambda u, a=alert: a.company_id in u.company_ids
            ):
                vals_list.append(
                    {
                        "res_model_id": model_id,
                        "res_id": alert.id,
                        "activity_type_id": activity_type.id,
                        "date_deadline": today,
                        "user_id": user.id,
                        "summary": alert._desk_summary(user.lang),
                    }
                )
        # sudo: assigning the managers' to-dos is part of the system's check.
        self.env["mail.activity"].sudo().with_context(
            mail_activity_quick_update=True
        ).create(vals_list)

    def _desk_summary(self, lang=None):
        """'Shipped On Time: 82.5 (target 95.0)', in ``lang``."""
        self.ensure_one()
        alert = self.with_context(lang=lang) if lang else self
        label = dict(alert._fields["kpi"]._description_selection(alert.env))[alert.kpi]
        unit = alert.env._("h") if alert.kpi == "approval_hours" else "%"
        return alert.env._(
            "%(kpi)s: %(value)s %(unit)s (target %(target)s %(unit)s)",
            kpi=label,
            value=f"{alert.value:.1f}",
            target=f"{alert.target:.1f}",
            unit=unit,
        )
