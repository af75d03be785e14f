from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    order_desk_require_approval = fields.Boolean(
        related="company_id.order_desk_require_approval", readonly=False
    )
    order_desk_auto_approve = fields.Boolean(
        related="company_id.order_desk_auto_approve", readonly=False
    )
    order_desk_reservation_days = fields.Integer(
        related="company_id.order_desk_reservation_days", readonly=False
    )
    order_desk_transit_days = fields.Integer(
        related="company_id.order_desk_transit_days", readonly=False
    )
    order_desk_tracking_silence_days = fields.Integer(
        related="company_id.order_desk_tracking_silence_days", readonly=False
    )
    order_desk_notify_customer = fields.Boolean(
        related="company_id.order_desk_notify_customer", readonly=False
    )
    order_desk_return_days = fields.Integer(
        related="company_id.order_desk_return_days", readonly=False
    )
    order_desk_statement_auto = fields.Boolean(
        related="company_id.order_desk_statement_auto", readonly=False
    )
    order_desk_allocate_receipts = fields.Boolean(
        related="company_id.order_desk_allocate_receipts", readonly=False
    )
    order_desk_allocation_user_id = fields.Many2one(
        related="company_id.order_desk_allocation_user_id", readonly=False
    )
    order_desk_shortage_days = fields.Integer(
        related="company_id.order_desk_shortage_days", readonly=False
    )
    order_desk_target_on_time = fields.Float(
        related="company_id.order_desk_target_on_time", readonly=False
    )
    order_desk_target_otif = fields.Float(
        related="company_id.order_desk_target_otif", readonly=False
    )
    order_desk_target_approval_hours = fields.Float(
        related="company_id.order_desk_target_approval_hours", readonly=False
    )
    order_desk_target_first_pass = fields.Float(
        related="company_id.order_desk_target_first_pass", readonly=False
    )
    order_desk_target_return_rate = fields.Float(
        related="company_id.order_desk_target_return_rate", readonly=False
    )
