from odoo import models

from .res_users import USER_GROUP


class ResGroups(models.Model):
    _inherit = "res.groups"

    def write(self, vals):
        if not {"user_ids", "implied_ids"} & set(vals):
            return super().write(vals)
        group = self.env.ref(USER_GROUP, raise_if_not_found=False)
        before = group.all_user_ids if group else self.env["res.users"]
        result = super().write(vals)
        if group:
            group.invalidate_recordset(["all_user_ids"])
            after = group.all_user_ids
            # Users who joined or left the desk through a group (or an implied group).
            ((before - after) | (after - before))._desk_sync_home_action()
        return result
