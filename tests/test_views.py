from lxml import etree

from odoo.tests import TransactionCase, tagged

# Field widgets that only read a value of their own type (the web client logs a console
# warning and cuts the value otherwise).
WIDGET_TYPES = {"date": "date", "datetime": "datetime"}


@tagged("post_install", "-at_install")
class TestViews(TransactionCase):
    """The addon's views give each field a widget of its type."""

    def _walk(self, node, model, problems, view):
        for child in node:
            if not isinstance(child.tag, str):
                continue
            comodel = model
            if child.tag == "field" and model is not None:
                field = model._fields.get(child.get("name"))
                widget = child.get("widget")
                if (
                    field is not None
                    and widget in WIDGET_TYPES
                    and field.type != WIDGET_TYPES[widget]
                ):
                    problems.append(
                        f"{view.xml_id}: {field.name} ({field.type}) "
                        f'with widget="{widget}"'
                    )
                comodel = (
                    self.env[field.comodel_name]
                    if field is not None and field.relational
                    else None
                )
            self._walk(child, comodel, problems, view)

    def test_widgets_fit_their_fields(self):
        views = self.env["ir.ui.view"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", "order_desk"), ("model", "=", "ir.ui.view")])
            .mapped("res_id")
        )
        problems = []
        for view in views.filtered(lambda v: v.type != "qweb" and v.model):
            arch = etree.fromstring(view.arch_db.encode())
            self._walk(arch, self.env[view.model], problems, view)
        self.assertFalse(problems, "\n".join(problems))
