# pylint: disable=print-used
"""Write data/files/order_desk_dashboard.json, the Order Desk dashboard of Odoo's Dashboards app.

The spreadsheet is generated rather than drawn in Odoo's editor so that its data sources, their
measures and their date fields stay readable and reviewable here. Run it after changing the
layout: ``python3 tools/kpi_dashboard.py``. The format is the one Odoo 19's own dashboards ship
(version 18.5.10, see spreadsheet_dashboard_sale); Odoo migrates it when it loads.
"""

import json
import pathlib

OUTPUT = (
    pathlib.Path(__file__).resolve().parent.parent
    / "data"
    / "files"
    / "order_desk_dashboard.json"
)
REPORT = "order.desk.kpi.report"
REPORT_ACTION = "order_desk.order_desk_kpi_report_action"
REPORT_MENU = "order_desk.order_desk_kpi_report_menu"

PERIOD = "5f1c6d2e-0b9a-4c11-9a01-6b2f3c4d5e01"
CLERK = "5f1c6d2e-0b9a-4c11-9a01-6b2f3c4d5e02"

# Rows of the Dashboard sheet (index: height in px); the others are 23 px high.
ROW_SIZES = {5: 40, 33: 40, 34: 28, 47: 40, 48: 28}
for _row in range(35, 46):
    ROW_SIZES[_row] = 28
for _row in range(49, 59):
    ROW_SIZES[_row] = 28
COLUMN_SIZES = {0: 300, 1: 130, 2: 110, 3: 40, 4: 260, 5: 130, 6: 125}


def y_of(row):
    return sum(ROW_SIZES.get(index, 23) for index in range(row))


def matching(date_chain, clerk_chain="clerk_id"):
    """Which field of a data source each global filter applies to (none: not applied)."""
    result = {}
    if date_chain:
        result[PERIOD] = {"chain": date_chain, "type": "datetime", "offset": 0}
    if clerk_chain:
        result[CLERK] = {"chain": clerk_chain, "type": "many2one"}
    return result


def pivot(pivot_id, name, measures, date_chain, model=REPORT, domain=None, rows=(),
          clerk_chain="clerk_id", sort=None):  # fmt: skip
    return {
        "type": "ODOO",
        "id": str(pivot_id),
        "formulaId": str(pivot_id),
        "name": name,
        "model": model,
        "domain": domain or [],
        "context": {},
        "measures": [{"id": m, "fieldName": m} for m in measures],
        "rows": [{"fieldName": r} for r in rows],
        "columns": [],
        "sortedColumn": sort,
        "fieldMatching": matching(date_chain, clerk_chain),
    }


# Tiles: (title, value cell formula, target measure, True when higher is better, format).
TILES = [
    ("Shipped On Time", '=PIVOT.VALUE(1,"shipped_on_time_rate")', "target_on_time",
     True, 1),
    ("OTIF", '=PIVOT.VALUE(2,"otif_rate")', "target_otif", True, 1),
    ("Approval Lead Time", '=PIVOT.VALUE(3,"approval_hours")', "target_approval_hours",
     False, 2),
    ("First Pass", '=PIVOT.VALUE(4,"first_pass_rate")', "target_first_pass", True, 1),
    ("Return Rate",
     '=IFERROR(100*PIVOT.VALUE(5,"returned_order_count")'
     '/PIVOT.VALUE(6,"first_shipped_count"),"")',
     "target_return_rate", False, 1),
]  # fmt: skip

# Weekly trend charts: (title, measure, date field, mode, axis title). Odoo translates chart
# titles but not axis titles: these stay units ("%", "h") or nothing.
CHARTS = [
    ("Shipped on time by week", "shipped_on_time_rate", "date_shipped", "line", "%"),
    ("OTIF by week", "otif_rate", "date_delivered", "line", "%"),
    ("Approval lead time by week", "approval_hours", "date_approved", "line", "h"),
    ("Orders received by week", "order_count", "date", "bar", ""),
]


def build():
    pivots = {
        "1": pivot(1, "Shipped on time", ["shipped_on_time_rate"], "date_shipped"),
        "2": pivot(2, "OTIF", ["otif_rate"], "date_delivered"),
        "3": pivot(3, "Approval lead time", ["approval_hours"], "date_approved"),
        "4": pivot(4, "First pass", ["first_pass_rate"], "date_submitted"),
        "5": pivot(5, "Returned orders", ["returned_order_count"], "date_returned"),
        "6": pivot(6, "Orders with goods out", ["first_shipped_count"],
                   "date_first_shipped"),
        "7": pivot(7, "Targets", [t[2] for t in TILES], None, clerk_chain=None),
        "8": pivot(8, "Late now", ["order_count"], None,
                   domain=[["late_now", "=", True]]),
        "9": pivot(9, "Rule", ["__count"], "order_id.desk_submitted_date",
                   model="order.desk.exception", rows=["rule_id"],
                   clerk_chain="order_id.desk_submitted_user_id",
                   sort={"measure": "__count", "order": "desc", "domain": []}),
        "10": pivot(10, "Return Reason", ["quantity"], "return_id.approved_date",
                    model="order.desk.return.line", rows=["reason_id"],
                    domain=[["state", "in", ["approved", "received", "done"]]],
                    clerk_chain="order_id.desk_submitted_user_id",
                    sort={"measure": "quantity", "order": "desc", "domain": []}),
    }  # fmt: skip
    lists = {
        "1": {
            "id": "1",
            "name": "Orders late now",
            "model": REPORT,
            "columns": [
                "partner_id",
                "name",
                "date_due",
                "clerk_id",
                "days_late",
                "desk_state",
            ],
            "domain": [["late_now", "=", True]],
            "context": {},
            "orderBy": [{"name": "date_due", "asc": True}],
            "fieldMatching": matching(None),
        }
    }

    # Data sheet: the tiles' values and targets.
    data_cells = {
        "A1": '=_t("KPI")',
        "B1": '=_t("Value")',
        "C1": '=_t("Target")',
    }
    data_formats = {}
    for index, (title, formula, target, _higher, fmt) in enumerate(TILES, start=2):
        data_cells[f"A{index}"] = f'=_t("{title}")'
        data_cells[f"B{index}"] = formula
        data_cells[f"C{index}"] = f'=PIVOT.VALUE(7,"{target}")'
        data_formats[f"B{index}:C{index}"] = fmt
    late_row = len(TILES) + 2
    data_cells[f"A{late_row}"] = '=_t("Orders late now")'
    data_cells[f"B{late_row}"] = '=PIVOT.VALUE(8,"order_count")'
    data_formats[f"B{late_row}"] = 3

    figures = []
    tile_width = 175
    for index, (title, _formula, _target, higher, _fmt) in enumerate(TILES):
        row = index + 2
        good, bad = "#00A04A", "#DC6965"
        figures.append(
            {
                "id": f"0d0e5c1a-7a1b-4c2d-8e3f-00000000010{index}",
                "col": 0,
                "row": 0,
                "offset": {"x": index * (tile_width + 9), "y": 11},
                "width": tile_width,
                "height": 101,
                "tag": "chart",
                "data": {
                    "type": "scorecard",
                    "title": {"text": title, "bold": True, "color": "#434343"},
                    "background": "#EFF6FF" if higher else "#FFF7ED",
                    "keyValue": f"Data!B{row}",
                    "baseline": f"Data!C{row}",
                    "baselineMode": "difference",
                    "baselineDescr": {"text": "vs target"},
                    "baselineColorUp": good if higher else bad,
                    "baselineColorDown": bad if higher else good,
                    "humanize": False,
                    "chartId": f"0d0e5c1a-7a1b-4c2d-8e3f-00000000020{index}",
                },
            }
        )
    figures.append(
        {
            "id": "0d0e5c1a-7a1b-4c2d-8e3f-000000000109",
            "col": 0,
            "row": 0,
            "offset": {"x": len(TILES) * (tile_width + 9), "y": 11},
            "width": tile_width,
            "height": 101,
            "tag": "chart",
            "data": {
                "type": "scorecard",
                "title": {"text": "Orders Late Now", "bold": True, "color": "#434343"},
                "background": "#FEF2F2",
                "keyValue": f"Data!B{late_row}",
                "humanize": False,
                "chartId": "0d0e5c1a-7a1b-4c2d-8e3f-000000000209",
            },
        }
    )
    chart_width, chart_height = 545, 290
    menus = {}
    for index, (title, measure, date_field, mode, axis) in enumerate(CHARTS):
        chart_id = f"0d0e5c1a-7a1b-4c2d-8e3f-00000000030{index}"
        top = y_of(6) + 5 if index < 2 else y_of(19) + 10
        figures.append(
            {
                "id": f"0d0e5c1a-7a1b-4c2d-8e3f-00000000040{index}",
                "col": 0,
                "row": 0,
                "offset": {"x": (index % 2) * (chart_width + 10), "y": top},
                "width": chart_width,
                "height": chart_height,
                "tag": "chart",
                "data": {
                    "type": f"odoo_{mode}",
                    "title": {"text": title, "bold": True, "color": "#434343"},
                    "background": "#FFFFFF",
                    "legendPosition": "none",
                    "metaData": {
                        "groupBy": [f"{date_field}:week"],
                        "measure": measure,
                        "order": None,
                        "resModel": REPORT,
                        "mode": mode,
                        "cumulatedStart": False,
                    },
                    "searchParams": {
                        "comparison": None,
                        "context": {},
                        "domain": [["desk_state", "!=", "cancel"]],
                        "groupBy": [f"{date_field}:week"],
                        "orderBy": [],
                    },
                    "actionXmlId": REPORT_ACTION,
                    "dataSets": [{}],
                    "verticalAxisPosition": "left",
                    "stacked": False,
                    "cumulatedStart": False,
                    "fillArea": mode == "line",
                    "axesDesign": {"y": {"title": {"text": axis}}} if axis else {},
                    "chartId": chart_id,
                    "fieldMatching": matching(date_field),
                },
            }
        )
        menus[chart_id] = REPORT_MENU

    cells = {
        "A6": '=_t("Weekly trends")',
        "A34": '=_t("Rules that fail most")',
        # A pivot's own title row shows its name untranslated: translated headers instead.
        "A35": '=_t("Rule")',
        "B35": '=_t("Exception Count")',
        "A36": "=PIVOT(9, 10, FALSE, FALSE, 1, FALSE)",
        "E34": '=_t("Top return reasons")',
        "E35": '=_t("Reason")',
        "F35": '=_t("Returned Quantity")',
        "E36": "=PIVOT(10, 10, FALSE, FALSE, 1, FALSE)",
        "A48": '=_t("Orders late now")',
    }
    columns = ["A", "B", "C", "E", "F", "G"]
    for column, field in zip(columns, lists["1"]["columns"], strict=True):
        cells[f"{column}49"] = f'=ODOO.LIST.HEADER(1, "{field}")'
        for position in range(1, 11):
            cells[f"{column}{49 + position}"] = f'=ODOO.LIST(1,{position},"{field}")'

    dashboard = {
        "id": "sheet1",
        "name": "Dashboard",
        "colNumber": 7,
        "rowNumber": 62,
        "rows": {str(row): {"size": size} for row, size in sorted(ROW_SIZES.items())},
        "cols": {str(col): {"size": size} for col, size in COLUMN_SIZES.items()},
        "merges": [],
        "cells": cells,
        "styles": {
            "A6": 1,
            "A34": 1,
            "E34": 1,
            "A48": 1,
            "A35:C35": 2,
            "E35:G35": 2,
            "A49:G49": 2,
            "A36:C45": 3,
            "E36:G45": 3,
            "A50:G59": 3,
        },
        "formats": {"F50:F59": 4},
        "borders": {},
        "conditionalFormats": [],
        "dataValidationRules": [],
        "figures": figures,
        "tables": [],
        "areGridLinesVisible": False,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "comments": {},
    }
    data_sheet = {
        "id": "sheet2",
        "name": "Data",
        "colNumber": 26,
        "rowNumber": 20,
        "rows": {},
        "cols": {"0": {"size": 180}, "1": {"size": 100}, "2": {"size": 100}},
        "merges": [],
        "cells": data_cells,
        "styles": {"A1:C1": 4},
        "formats": data_formats,
        "borders": {},
        "conditionalFormats": [],
        "dataValidationRules": [],
        "figures": [],
        "tables": [],
        "areGridLinesVisible": True,
        "isVisible": True,
        "headerGroups": {"ROW": [], "COL": []},
        "comments": {},
    }
    return {
        "version": "18.5.10",
        "sheets": [dashboard, data_sheet],
        "styles": {
            "1": {"textColor": "#01666b", "bold": True, "fontSize": 16},
            "2": {"bold": True, "fontSize": 11, "textColor": "#434343"},
            "3": {"textColor": "#434343", "verticalAlign": "middle"},
            "4": {"bold": True},
        },
        "formats": {"1": '0.0" %"', "2": '0.0" h"', "3": "0", "4": "0.0"},
        "borders": {},
        "revisionId": "START_REVISION",
        "uniqueFigureIds": True,
        "settings": {
            "locale": {
                "name": "English (US)",
                "code": "en_US",
                "thousandsSeparator": ",",
                "decimalSeparator": ".",
                "dateFormat": "mm/dd/yyyy",
                "timeFormat": "hh:mm:ss",
                "formulaArgSeparator": ",",
                "weekStart": 1,
            }
        },
        "pivots": pivots,
        "pivotNextId": len(pivots) + 1,
        "customTableStyles": {},
        "globalFilters": [
            {
                "id": PERIOD,
                "type": "date",
                "label": "Period",
                "defaultValue": "last_90_days",
            },
            {
                "id": CLERK,
                "type": "relation",
                "label": "Clerk",
                "modelName": "res.users",
                "defaultValueDisplayNames": [],
            },
        ],
        "lists": lists,
        "listNextId": len(lists) + 1,
        "chartOdooMenusReferences": menus,
    }


if __name__ == "__main__":
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(build(), indent=1, ensure_ascii=False) + "\n")
    print(f"written {OUTPUT}")
