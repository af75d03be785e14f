from odoo import fields, models


class AccountMoveLine(models.Model):
    _name = "account.move.line"
    _inherit = ["account.move.line", "order.desk.field.guard"]

    # Set when a statement that accounts for this item is confirmed or closed: an item
    # without it, dated before a later statement, is a late entry of that statement.
    desk_statement_id = fields.Many2one(
        "order.desk.statement",
        string="Agreed in Statement",
        index="btree_not_null",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )
