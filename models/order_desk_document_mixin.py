from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

USER_GROUP = "order_desk.group_order_desk_user"
MANAGER_GROUP = "order_desk.group_order_desk_manager"


class OrderDeskDocumentMixin(models.AbstractModel):
    """What the desk's own documents (incidents, returns) share: references drawn from a
    sequence many at a time, the guards of their actions, their notes, and the goods they
    send through the order's routes."""

    _name = "order.desk.document.mixin"
    _description = "Order Desk Document Mixin"
    _inherit = ["order.desk.field.guard"]

    # The status moves through the records' own buttons, which check who may press them:
    # a form, an import or an RPC call cannot skip a step (see order.desk.field.guard).
    _desk_system_fields = frozenset({"state"})

    # The code of the sequence (see data/ir_sequence_data.xml).
    _desk_sequence_code = None

    @api.model
    def _desk_next_names(self, count):
        """``count`` references from the model's sequence, drawn in one query when it is a
        plain PostgreSQL sequence (an import or a scheduled check creates many at once)."""
        if not count:
            return []
        # sudo: the sequence is the model's own; drawing a number needs no Settings rights.
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [
                    ("code", "=", self._desk_sequence_code),
                    ("company_id", "in", (self.env.company.id, False)),
                ],
                order="company_id",
                limit=1,
            )
        )
        if not sequence:
            return [self.env._("New")] * count
        if (
            count == 1
            or sequence.implementation != "standard"
            or sequence.use_date_range
        ):
            return [sequence._next() for _index in range(count)]
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"ir_sequence_{sequence.id:03d}",
                count,
            )
        )
        return [sequence.get_next_char(number) for (number,) in self.env.cr.fetchall()]

    @api.model
    def _desk_complete_create_vals(self, vals_list):
        # The reference is drawn after the caller's values were checked: it is a system
        # field (read-only), which the caller cannot choose.
        vals_list = super()._desk_complete_create_vals(vals_list)
        if self._desk_sequence_code:
            self._desk_assign_names(vals_list)
        return vals_list

    @api.model
    def _desk_assign_names(self, vals_list):
        """Give each of ``vals_list`` without a reference the next one."""
        unnamed = [
            vals
            for vals in vals_list
            if vals.get("name", self.env._("New")) == self.env._("New")
        ]
        for vals, name in zip(
            unnamed, self._desk_next_names(len(unnamed)), strict=True
        ):
            vals["name"] = name

    def _desk_write(self, vals):
        """Write from the records' own actions, the status and the other system fields
        (``_desk_system_fields``) included.

        sudo: only called by the actions after their own check of who calls (group, state,
        access to the records); the guarded fields refuse every other caller whatever the
        context says. The real user stays the author of the change (``write_uid``,
        tracking).
        """
        return self.sudo().write(vals)

    # ------------------------------------------------------------------------------------------
    # Guards
    # ------------------------------------------------------------------------------------------
    def _desk_ensure_group(self, group=USER_GROUP):
        """Refuse callers outside ``group``; the action writes the records, so the caller
        must be allowed to write them too."""
        if not (self.env.su or self.env.user.has_group(group)):
            if group == MANAGER_GROUP:
                raise AccessError(self.env._("Only an Order Desk manager can do this."))
            raise AccessError(self.env._("Only Order Desk users can do this."))
        self.check_access("write")

    def _desk_ensure_state(self, states, message):
        """Refuse when a record of ``self`` is not in ``states``; ``message(names)`` gives
        the translated refusal."""
        if not self:
            raise UserError(self.env._("Select at least one record."))
        wrong = self.filtered(lambda record: record.state not in states)
        if wrong:
            raise UserError(message(", ".join(wrong.mapped("name"))))

    # ------------------------------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------------------------------
    def _desk_log(self, body):
        """A note on every record of ``self``, in one insert.

        ``body(record)`` gives the text of each record; it is called with the record in its
        company's language (``res.company._desk_lang``), so that a note reads the same for
        everyone whoever pressed the button: write it with ``record.env._(...)``.
        """
        bodies = {}
        for lang, records in self.grouped(lambda r: r.company_id._desk_lang()).items():
            for record in records.with_context(lang=lang):
                bodies[record.id] = body(record)
        self._message_log_batch(bodies)

    def _desk_view(self, records, xmlid):
        """An action on ``records`` based on the window action ``xmlid``."""
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlid)
        action["domain"] = [("id", "in", records.ids)]
        action["context"] = {"create": False}
        if len(records) == 1:
            action["views"] = [(False, "form")]
            action["res_id"] = records.id
        return action

    def _desk_procure(self, requests):
        """Send goods to customers through their orders' routes (Odoo's procurement).

        ``requests``: ``(sale order line, quantity in its unit, origin, extra procurement
        values)``; the extra values mark the moves (``desk_incident_id``,
        ``desk_return_id``). Runs as superuser, as Odoo's own order confirmation does, for a
        decision the caller was allowed to make.
        """
        Rule = self.env["stock.rule"]
        procurements = []
        for sale_line, quantity, origin, extra in requests:
            order = sale_line.order_id
            if not order.stock_reference_ids:
                # sudo: the stock reference links the order to its transfers, as Odoo's own
                # confirmation makes it.
                self.env["stock.reference"].sudo().create(
                    sale_line._prepare_reference_vals()
                )
            sale_line = sale_line.with_company(order.company_id)
            values = sale_line._prepare_procurement_values()
            values.update({"date_planned": fields.Datetime.now(), **extra})
            product_qty, uom = sale_line.product_uom_id._adjust_uom_quantities(
                quantity, sale_line.product_id.uom_id
            )
            procurements.append(
                Rule.Procurement(
                    sale_line.product_id,
                    product_qty,
                    uom,
                    sale_line._get_location_final(),
                    sale_line.product_id.display_name,
                    origin,
                    order.company_id,
                    values,
                )
            )
        if procurements:
            # sudo: as Odoo's own order confirmation runs its procurement; the caller's
            # decision (resolve, approve) was checked by the action.
            Rule.sudo().run(procurements)
