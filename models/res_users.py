from odoo import api, models

HOME_ACTION = "order_desk.order_desk_overview_tile_action"
USER_GROUP = "order_desk.group_order_desk_user"


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        users = super().create(vals_list)
        users._desk_sync_home_action()
        return users

    def write(self, vals):
        result = super().write(vals)
        if "group_ids" in vals:
            self._desk_sync_home_action()
        return result

    def _desk_sync_home_action(self):
        """Order Desk users land on *Order Desk > Overview* after login.

        Called whenever users join or leave the desk (user form, group form, install):
        a desk user without a home action gets the Overview; a user who leaves the desk
        loses it (and lands where Odoo puts them). A home action someone chose is kept.
        """
        action = self.env.ref(HOME_ACTION, raise_if_not_found=False)
        group = self.env.ref(USER_GROUP, raise_if_not_found=False)
        if not action or not group:
            return
        # sudo: the home action follows the group membership the caller was allowed to
        # change; a group admin may not have the right to write other users' preferences.
        users = self.sudo().with_context(active_test=False)
        # Membership may have changed from the group's side: read it afresh.
        users.invalidate_recordset(["group_ids", "all_group_ids"])
        joined = users.filtered(
            lambda u: not u.share and not u.action_id and group in u.all_group_ids
        )
        left = users.filtered(
            lambda u: u.action_id.id == action.id and group not in u.all_group_ids
        )
        if joined:
            joined.write({"action_id": action.id})
        if left:
            left.write({"action_id": False})
