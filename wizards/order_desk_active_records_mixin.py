from odoo import api, models

from ..models.order_desk_field_guard import INT_LIMIT


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
        """Only a proposal of records: the dialog's action runs the model's own action on
        them, which checks who calls and what each record allows. Ids that are not record
        ids are dropped."""
        values = super().default_get(fields_list)
        field = self._desk_active_field
        context = self.env.context
        active_ids = context.get("active_ids")
        if (
            field in fields_list
            and not values.get(field)
            and context.get("active_model") == self._desk_active_model
            and isinstance(active_ids, list)
        ):
            values[field] = [
                (
                    6,
                    0,
                    [
                        record_id
                        for record_id in active_ids
                        if isinstance(record_id, int)
                        and not isinstance(record_id, bool)
                        and 0 < record_id < INT_LIMIT
                    ],
                )
            ]
        return values
