import base64
import csv
import io
import zipfile

import openpyxl

from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from odoo.addons.base.models.res_partner import _tz_get

USER_GROUP = "order_desk.group_order_desk_user"

# Column titles a carrier file may use, lower-cased, for each column of an event.
HEADER_ALIASES = {
    "tracking_ref": (
        "tracking number",
        "tracking_ref",
        "tracking ref",
        "tracking",
        "tracking no",
        "tracking no.",
        "waybill",
        "运单号",
        "運單號",
        "快递单号",
        "快遞單號",
        "物流单号",
        "物流單號",
    ),
    "event_date": (
        "time",
        "date",
        "event time",
        "event_date",
        "datetime",
        "时间",
        "時間",
        "日期",
    ),
    "status": ("status", "state", "状态", "狀態"),
    "location": ("location", "place", "地点", "地點", "位置"),
    "description": (
        "description",
        "details",
        "remark",
        "描述",
        "说明",
        "說明",
        "备注",
        "備註",
    ),
}
REQUIRED_COLUMNS = ("tracking_ref", "event_date", "status")

# Rows checked and created together: one lookup of numbers and events per chunk.
CHUNK_SIZE = 2000

CSV_ENCODINGS = ("utf-8-sig", "gb18030", "big5")


class OrderDeskTrackingImportWizard(models.TransientModel):
    _name = "order.desk.tracking.import.wizard"
    _description = "Import Carrier Tracking Events"
    _inherit = ["order.desk.field.guard"]

    file = fields.Binary(string="Carrier File", required=True)
    filename = fields.Char()
    tz = fields.Selection(
        _tz_get,
        string="Time Zone",
        required=True,
        default=lambda self: self.env.user.tz or "UTC",
        help="The time zone of times in the file that carry no offset.",
    )
    state = fields.Selection(
        [("upload", "Upload"), ("done", "Done")], default="upload", required=True
    )
    row_count = fields.Integer(string="Rows Read", readonly=True)
    new_count = fields.Integer(string="New Events", readonly=True)
    known_count = fields.Integer(string="Already Recorded", readonly=True)
    error_count = fields.Integer(string="Rows Refused", readonly=True)
    error_text = fields.Text(string="Refused Rows", readonly=True)

    def action_import(self):
        """Read the carrier file, record its valid rows and show what was refused.

        Columns: tracking number, time, status, location, description (titles in English
        or Chinese, any order). A refused row (unknown tracking number, bad time, unknown
        status) is reported with its row number; the others are recorded. Importing the
        same file again records nothing new.
        """
        self.ensure_one()
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("Only Order Desk users can do this."))
        rows = self._read_rows()
        Picking = self.env["stock.picking"]
        Event = self.env["order.desk.tracking.event"]
        new_count = known_count = 0
        errors = []
        for start in range(0, len(rows), CHUNK_SIZE):
            chunk = rows[start : start + CHUNK_SIZE]
            vals_list, chunk_errors, known = Picking._desk_prepare_tracking_events(
                [event for _row, event in chunk], tz_name=self.tz, sources=("import",)
            )
            errors.extend((chunk[index - 1][0], error) for index, error in chunk_errors)
            # sudo: the rows were checked above and belong to deliveries the clerk can
            # read; it only lets the import record its source (a system field).
            new_count += len(Event.sudo().create(vals_list))
            known_count += known
        errors.sort()
        self.write(
            {
                "state": "done",
                "row_count": len(rows),
                "new_count": new_count,
                "known_count": known_count,
                "error_count": len(errors),
                "error_text": "\n".join(
                    self.env._("Row %(row)s: %(error)s", row=row, error=error)
                    for row, error in errors
                ),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Tracking Import"),
        }

    # ------------------------------------------------------------------------------------------
    # File reading
    # ------------------------------------------------------------------------------------------
    def _read_rows(self):
        """``[(row number, event dict)]`` of the file's non-empty data rows."""
        data = base64.b64decode(self.file or b"")
        if not data:
            raise UserError(self.env._("The file is empty."))
        name = (self.filename or "").lower()
        if name.endswith(".xlsx") or zipfile.is_zipfile(io.BytesIO(data)):
            table = self._read_xlsx(data)
        elif name.endswith(".xls"):
            raise UserError(
                self.env._(
                    "Old Excel files (.xls) are not read: save it as XLSX or CSV."
                )
            )
        else:
            table = self._read_csv(data)
        header_row, columns = self._find_columns(table)
        rows = []
        for number, cells in table[header_row + 1 :]:
            values = {
                key: cells[position] if position < len(cells) else None
                for key, position in columns.items()
            }
            if all(value in (None, "") for value in values.values()):
                continue
            values["source"] = "import"
            rows.append((number, values))
        return rows

    def _read_csv(self, data):
        for encoding in CSV_ENCODINGS:
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise UserError(
                self.env._(
                    "The file is not text in UTF-8, GB18030 or Big5: save it as CSV."
                )
            )
        first_line = text.split("\n", 1)[0]
        try:
            dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        return [
            (number, [cell.strip() for cell in cells])
            for number, cells in enumerate(reader, start=1)
        ]

    def _read_xlsx(self, data):
        try:
            workbook = openpyxl.load_workbook(
                io.BytesIO(data), read_only=True, data_only=True
            )
        except Exception as error:
            raise UserError(
                self.env._(
                    "The file is not a readable XLSX workbook: %(error)s", error=error
                )
            ) from error
        sheet = workbook.worksheets[0]
        table = [
            (
                number,
                [cell.strip() if isinstance(cell, str) else cell for cell in cells],
            )
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
        workbook.close()
        return table

    def _find_columns(self, table):
        """Index in ``table`` of the header row and the position of each known column."""
        lookup = {
            alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases
        }
        for index, (_number, cells) in enumerate(table):
            if not any(cell not in (None, "") for cell in cells):
                continue
            columns = {}
            for position, cell in enumerate(cells):
                key = lookup.get(str(cell or "").strip().lower())
                if key and key not in columns:
                    columns[key] = position
            missing = [key for key in REQUIRED_COLUMNS if key not in columns]
            if missing:
                titles = {
                    "tracking_ref": self.env._("tracking number"),
                    "event_date": self.env._("time"),
                    "status": self.env._("status"),
                }
                raise UserError(
                    self.env._(
                        "The first row must name the columns: tracking number, time, "
                        "status (location and description are optional). Missing: "
                        "%(columns)s.",
                        columns=", ".join(titles[key] for key in missing),
                    )
                )
            return index, columns
        raise UserError(self.env._("The file has no rows."))
