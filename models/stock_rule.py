from odoo import models


class StockRule(models.Model):
    _inherit = "stock.rule"

    def _get_custom_move_fields(self):
        # The incident a reshipment answers, and the return an exchange answers, travel
        # from the procurement to its moves.
        return [
            *super()._get_custom_move_fields(),
            "desk_incident_id",
            "desk_return_id",
        ]
