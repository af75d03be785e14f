from odoo import api, models


class OrderDeskActiveRecordsMixin(models.AbstractModel):
    """A dialog opened on the records selected in a list: its records field starts with
    them (``active_ids`` of ``_desk_active_model``)."""

    _name = "order.desk.active.records.mixin"
    _description = "Order Desk Dialog on Selected Records"

    # The model the dialog is opened from, and the Many2many field that takes its records.
    _desk_active_model = None
    _desk_active_field = None

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        field = self._desk_active_field
        context = self.env.context
        if (
            field in fields_list
            and not values.get(field)
            and context.get("active_model") == self._desk_active_model
        ):
            values[field] = [(6, 0, context.get("active_ids", []))]
        return values
