from odoo import models


class StockWarehouseOrderpoint(models.Model):
    _inherit = "stock.warehouse.orderpoint"

    def _desk_action_open(self):
        """The replenishment list, narrowed to these orderpoints when the user may see it."""
        if not self.env.user.has_group("stock.group_stock_user"):
            return True
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_orderpoint_replenish"
        )
        action["domain"] = [("id", "in", self.ids)]
        action["context"] = {}
        return action
