import base64
import io
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.desk_xlsx import desk_workbook
from ..models.order_desk_kpi_alert import MANAGER_GROUP, local_period
from ..models.order_desk_kpi_report import COUNTED_RETURN_STATES

MONTHS = [
    ("1", "January"),
    ("2", "February"),
    ("3", "March"),
    ("4", "April"),
    ("5", "May"),
    ("6", "June"),
    ("7", "July"),
    ("8", "August"),
    ("9", "September"),
    ("10", "October"),
    ("11", "November"),
    ("12", "December"),
]

# Columns of the orders sheet: (field of order.desk.kpi.report, kind).
ORDER_COLUMNS = (
    ("name", "text"),
    ("partner_id", "many2one"),
    ("clerk_id", "many2one"),
    ("approver_id", "many2one"),
    ("channel", "selection"),
    ("desk_state", "selection"),
    ("date", "datetime"),
    ("date_approved", "datetime"),
    ("date_due", "datetime"),
    ("date_shipped", "datetime"),
    ("date_delivered", "datetime"),
    ("amount", "money"),
    ("approval_hours", "number"),
    ("ship_hours", "number"),
    ("transit_days", "number"),
    ("shipped_on_time_count", "integer"),
    ("in_full_count", "integer"),
    ("otif_count", "integer"),
    ("exception_count", "integer"),
    ("blocking_count", "integer"),
    ("override_count", "integer"),
    ("reject_count", "integer"),
    ("unlock_count", "integer"),
    ("incident_count", "integer"),
    ("return_count", "integer"),
    ("return_qty", "number"),
    ("return_value", "money"),
    ("disagree_count", "integer"),
    ("payment_days", "number"),
)

# Averages that apply to some orders only: left blank on the others.
APPLIES_TO = {
    "approval_hours": "approved_count",
    "ship_hours": "shipped_count",
    "transit_days": "delivered_count",
    "payment_days": "paid_count",
}


def _last_month():
    return fields.Date.today().replace(day=1) - relativedelta(months=1)


class OrderDeskKpiReportWizard(models.TransientModel):
    _name = "order.desk.kpi.report.wizard"
    _description = "Order Desk Monthly Report"
    _inherit = ["order.desk.field.guard"]

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.companies.ids)],
    )
    year = fields.Integer(required=True, default=lambda self: _last_month().year)
    month = fields.Selection(
        MONTHS, required=True, default=lambda self: str(_last_month().month)
    )
    xlsx_file = fields.Binary(string="Workbook", attachment=False, readonly=True)
    xlsx_filename = fields.Char(readonly=True)

    @api.constrains("company_id")
    def _check_company_id(self):
        # The report tells a company's orders, customers and people: one of the user's.
        for wizard in self:
            if wizard.company_id not in self.env.user.company_ids:
                raise UserError(
                    self.env._(
                        "You do not work for %(company)s: choose one of your companies.",
                        # sudo: only the name, of a company the user may not read.
                        company=wizard.company_id.sudo().name,
                    )
                )

    @api.constrains("year")
    def _check_year(self):
        for wizard in self:
            if not 2000 <= wizard.year <= 2100:
                raise UserError(
                    self.env._(
                        "Choose a year between 2000 and 2100, not %(year)s.",
                        year=wizard.year,
                    )
                )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_export_xlsx(self):
        """Download the month's report as an XLSX workbook (desk manager)."""
        self.ensure_one()
        content = self._desk_xlsx()
        self.write(
            {
                "xlsx_file": base64.b64encode(content),
                "xlsx_filename": self.env._(
                    "Order Desk %(period)s.xlsx", period=self._desk_period_code()
                ),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model={self._name}&id={self.id}&field=xlsx_file"
            "&filename_field=xlsx_filename&download=true",
            "target": "self",
        }

    def action_print_pdf(self):
        """The month's one-page summary as PDF (desk manager)."""
        self.ensure_one()
        self._desk_ensure_manager()
        return self.env.ref("order_desk.kpi_monthly_report").report_action(self)

    # ------------------------------------------------------------------------------------------
    # Data
    # ------------------------------------------------------------------------------------------
    def _desk_ensure_manager(self):
        if not (self.env.su or self.env.user.has_group(MANAGER_GROUP)):
            raise AccessError(self.env._("Only an Order Desk manager can do this."))
        if self.company_id not in self.env.companies:
            raise AccessError(
                self.env._(
                    "Select the company %(company)s before reporting on it.",
                    company=self.company_id.name,
                )
            )

    def _desk_month(self):
        self.ensure_one()
        first = date(self.year, int(self.month), 1)
        return first, first + relativedelta(months=1)

    def _desk_period_code(self):
        first, _next = self._desk_month()
        return f"{first:%Y-%m}"

    def _desk_report_data(self):
        """Everything the workbook and the PDF show, for the chosen company and month (in the
        company's time zone): the KPIs with their targets, then the details."""
        self.ensure_one()
        self._desk_ensure_manager()
        company = self.company_id
        first, after = self._desk_month()
        start, end = local_period(company, first, after)
        Report = self.env["order.desk.kpi.report"].with_company(company)
        period = [("company_id", "=", company.id)]

        def within(field):
            return [*period, (field, ">=", start), (field, "<", end)]

        exceptions = defaultdict(lambda: defaultdict(int))
        for rule, severity, state, count in self.env[
            "order.desk.exception"
        ]._read_group(
            # The exceptions of the orders submitted in the month, as the KPIs count them.
            within("order_id.desk_submitted_date"),
            groupby=["rule_id", "severity", "state"],
            aggregates=["__count"],
        ):
            row = exceptions[rule]
            row["count"] += count
            row[severity] += count
            row[state] += count
        incidents = defaultdict(lambda: defaultdict(int))
        for incident_type, state, count in self.env["order.desk.incident"]._read_group(
            [*within("create_date"), ("state", "!=", "cancelled")],
            groupby=["incident_type", "state"],
            aggregates=["__count"],
        ):
            incidents[incident_type]["count"] += count
            incidents[incident_type][state] += count
        return_lines = self.env["order.desk.return.line"].search(
            [
                ("company_id", "=", company.id),
                ("state", "in", COUNTED_RETURN_STATES),
                ("return_id.approved_date", ">=", start),
                ("return_id.approved_date", "<", end),
            ]
        )
        reasons = defaultdict(lambda: defaultdict(float))
        for line in return_lines:
            order = line.sale_line_id.order_id
            value = line.quantity * line.sale_line_id.price_reduce_taxexcl
            row = reasons[line.reason_id]
            row["quantity"] += line.quantity
            row["value"] += value / (order.currency_rate or 1.0)
            row["lines"] += 1
            if line.at_company_fault:
                row["against_us"] += line.quantity
        # sudo: statements are the accountants' documents; the desk manager sees only how the
        # customers of a company they work in answered (checked by _desk_ensure_manager).
        statements = (
            self.env["order.desk.statement"]
            .sudo()
            .search(within("sent_date"), order="sent_date, id")
        )
        return {
            "company": company,
            "currency": company.currency_id,
            "period": self._desk_period_code(),
            "month_label": dict(self._fields["month"]._description_selection(self.env))[
                self.month
            ],
            "year": self.year,
            "kpis": Report._desk_kpis(company, start, end),
            "orders": Report.search(within("date"), order="date, id"),
            "late": Report.search(
                [*period, ("late_now", "=", True)], order="date_due, id"
            ),
            "exceptions": sorted(
                exceptions.items(), key=lambda item: (-item[1]["count"], item[0].name)
            ),
            "incidents": sorted(incidents.items(), key=lambda item: -item[1]["count"]),
            "incident_labels": dict(
                self.env["order.desk.incident"]
                ._fields["incident_type"]
                ._description_selection(self.env)
            ),
            "reasons": sorted(
                reasons.items(), key=lambda item: (-item[1]["quantity"], item[0].name)
            ),
            "statements": statements,
        }

    @api.model
    def _desk_format_kpi(self, kpi, value=None):
        """A KPI value as text: '95.0 %', '12.5 h', '3.2 days', '1.25', '12'."""
        value = kpi["value"] if value is None else value
        if value is None:
            return "-"
        unit = kpi["unit"]
        if unit == "%":
            return f"{value:.1f} %"
        if unit == "h":
            return self.env._("%(hours)s h", hours=f"{value:.1f}")
        if unit == "days":
            return self.env._("%(days)s days", days=f"{value:.1f}")
        if unit == "ratio":
            return f"{value:.2f}"
        if unit == "money":
            return self.company_id.currency_id.format(value)
        return f"{value:.0f}"

    @api.model
    def _desk_kpi_unit(self, kpi):
        """The KPI's unit as the reader says it (the XLSX's Unit column)."""
        return {
            "%": "%",
            "h": self.env._("hours"),
            "days": self.env._("days"),
            "ratio": self.env._("ratio"),
            "money": self.company_id.currency_id.name or "",
            "count": self.env._("count"),
        }.get(kpi["unit"], kpi["unit"] or "")

    @api.model
    def _desk_kpi_status(self, kpi):
        if kpi["met"] is None:
            return ""
        return self.env._("Met") if kpi["met"] else self.env._("Missed")

    # ------------------------------------------------------------------------------------------
    # XLSX
    # ------------------------------------------------------------------------------------------
    def _desk_xlsx(self):
        """The workbook: KPIs with their targets, then orders, late orders, exceptions by rule,
        incidents by type, returns by reason and statements."""
        data = self._desk_report_data()
        output = io.BytesIO()
        workbook = desk_workbook(output)
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "header": workbook.add_format(
                {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}
            ),
            "number": workbook.add_format({"num_format": "#,##0.00"}),
            "integer": workbook.add_format({"num_format": "#,##0"}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "missed": workbook.add_format({"font_color": "#C00000", "bold": True}),
            "met": workbook.add_format({"font_color": "#00704A"}),
        }
        title = self.env._(
            "Order Desk report %(period)s, %(company)s",
            period=data["period"],
            company=data["company"].name,
        )

        # KPIs
        sheet = workbook.add_worksheet(self.env._("KPIs"))
        sheet.write_string(0, 0, title, formats["title"])
        headers = [
            self.env._("KPI"),
            self.env._("Value"),
            self.env._("Target"),
            self.env._("Status"),
            self.env._("Numerator"),
            self.env._("Denominator"),
            self.env._("Unit"),
        ]
        self._desk_xlsx_header(sheet, 2, headers, formats)
        for row, kpi in enumerate(data["kpis"], start=3):
            sheet.write_string(row, 0, kpi["name"])
            self._desk_xlsx_number(sheet, row, 1, kpi["value"], formats["number"])
            self._desk_xlsx_number(sheet, row, 2, kpi["target"], formats["number"])
            status = self._desk_kpi_status(kpi)
            sheet.write_string(
                row,
                3,
                status,
                formats["met" if kpi["met"] else "missed"] if status else None,
            )
            self._desk_xlsx_number(sheet, row, 4, kpi["numerator"], formats["number"])
            self._desk_xlsx_number(sheet, row, 5, kpi["denominator"], formats["number"])
            sheet.write_string(row, 6, self._desk_kpi_unit(kpi))
        sheet.set_column(0, 0, 42)
        sheet.set_column(1, 6, 14)
        sheet.freeze_panes(3, 1)

        # Orders received, and orders late now
        report = self.env["order.desk.kpi.report"]
        for sheet_name, records in (
            (self.env._("Orders"), data["orders"]),
            (self.env._("Late Now"), data["late"]),
        ):
            sheet = workbook.add_worksheet(sheet_name)
            self._desk_xlsx_header(
                sheet,
                0,
                [
                    report._fields[name]._description_string(self.env)
                    for name, _kind in ORDER_COLUMNS
                ],
                formats,
            )
            for row, record in enumerate(records, start=1):
                for column, (name, kind) in enumerate(ORDER_COLUMNS):
                    self._desk_xlsx_value(
                        sheet, row, column, record, name, kind, formats
                    )
            sheet.set_column(0, len(ORDER_COLUMNS) - 1, 16)
            sheet.freeze_panes(1, 1)

        # Exceptions by rule
        sheet = workbook.add_worksheet(self.env._("Exceptions"))
        self._desk_xlsx_header(
            sheet,
            0,
            [
                self.env._("Rule"),
                self.env._("Exceptions"),
                self.env._("Blocking"),
                self.env._("Warnings"),
                self.env._("Resolved"),
                self.env._("Overridden"),
                self.env._("Open"),
            ],
            formats,
        )
        for row, (rule, counts) in enumerate(data["exceptions"], start=1):
            sheet.write_string(row, 0, rule.name or "")
            for column, key in enumerate(
                ("count", "blocking", "warning", "resolved", "overridden", "open"),
                start=1,
            ):
                sheet.write_number(row, column, counts[key], formats["integer"])
        sheet.set_column(0, 0, 36)
        sheet.set_column(1, 6, 12)

        # Incidents by type
        sheet = workbook.add_worksheet(self.env._("Incidents"))
        self._desk_xlsx_header(
            sheet,
            0,
            [
                self.env._("Type"),
                self.env._("Incidents"),
                self.env._("Open"),
                self.env._("In Progress"),
                self.env._("Resolved"),
            ],
            formats,
        )
        for row, (incident_type, counts) in enumerate(data["incidents"], start=1):
            sheet.write_string(row, 0, data["incident_labels"][incident_type])
            for column, key in enumerate(
                ("count", "open", "in_progress", "resolved"), start=1
            ):
                sheet.write_number(row, column, counts[key], formats["integer"])
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, 4, 12)

        # Returns by reason
        sheet = workbook.add_worksheet(self.env._("Returns"))
        self._desk_xlsx_header(
            sheet,
            0,
            [
                self.env._("Reason"),
                self.env._("Counts Against Us"),
                self.env._("Lines"),
                self.env._("Quantity"),
                self.env._("Returned Value"),
                self.env._("Quantity Against Us"),
            ],
            formats,
        )
        for row, (reason, values) in enumerate(data["reasons"], start=1):
            sheet.write_string(row, 0, reason.name or "")
            sheet.write_string(
                row,
                1,
                self.env._("Yes") if reason.at_company_fault else self.env._("No"),
            )
            sheet.write_number(row, 2, values["lines"], formats["integer"])
            sheet.write_number(row, 3, values["quantity"], formats["number"])
            sheet.write_number(row, 4, values["value"], formats["money"])
            sheet.write_number(row, 5, values["against_us"], formats["number"])
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 5, 14)

        # Statements sent in the month
        sheet = workbook.add_worksheet(self.env._("Statements"))
        self._desk_xlsx_header(
            sheet,
            0,
            [
                self.env._("Statement"),
                self.env._("Customer"),
                self.env._("Status"),
                self.env._("Sent On"),
                self.env._("Confirmed On"),
                self.env._("Disputes"),
                self.env._("Closing Balance"),
            ],
            formats,
        )
        states = dict(
            self.env["order.desk.statement"]
            ._fields["state"]
            ._description_selection(self.env)
        )
        for row, statement in enumerate(data["statements"], start=1):
            sheet.write_string(row, 0, statement.name or "")
            sheet.write_string(row, 1, statement.partner_id.name or "")
            sheet.write_string(row, 2, states[statement.state])
            sheet.write_datetime(row, 3, statement.sent_date, formats["datetime"])
            if statement.confirmed_date:
                sheet.write_datetime(
                    row, 4, statement.confirmed_date, formats["datetime"]
                )
            sheet.write_number(row, 5, len(statement.dispute_ids), formats["integer"])
            sheet.write_number(row, 6, statement.closing_balance, formats["money"])
        sheet.set_column(0, 1, 28)
        sheet.set_column(2, 6, 16)

        workbook.close()
        return output.getvalue()

    @api.model
    def _desk_xlsx_header(self, sheet, row, headers, formats):
        for column, header in enumerate(headers):
            sheet.write_string(row, column, header, formats["header"])

    @api.model
    def _desk_xlsx_number(self, sheet, row, column, value, cell_format):
        if value is not None:
            sheet.write_number(row, column, value, cell_format)

    @api.model
    def _desk_xlsx_value(self, sheet, row, column, record, name, kind, formats):
        value = record[name]
        if name in APPLIES_TO and not record[APPLIES_TO[name]]:
            return
        if kind == "many2one":
            sheet.write_string(row, column, value.display_name or "")
        elif kind == "selection":
            labels = dict(record._fields[name]._description_selection(self.env))
            sheet.write_string(row, column, labels.get(value, ""))
        elif kind == "datetime":
            if value:
                sheet.write_datetime(row, column, value, formats["datetime"])
        elif kind == "text":
            sheet.write_string(row, column, value or "")
        else:
            sheet.write_number(row, column, value or 0, formats[kind])
