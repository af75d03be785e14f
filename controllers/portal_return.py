from odoo import SUPERUSER_ID, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request
from odoo.tools import float_compare

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.order_desk_field_guard import (
    MAX_NUMBER,
    desk_printable,
    desk_to_number,
)
from ..models.order_desk_return import UNNUMBERED, desk_quantity
from .portal_common import desk_portal_count, desk_portal_list, desk_use_customer_tz


class OrderDeskReturnPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        values.update(
            desk_portal_count("order.desk.return", [], counters, "desk_return_count")
        )
        return values

    @http.route(
        ["/my/returns", "/my/returns/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_desk_returns(self, page=1, **_kwargs):
        """The customer's return requests (the record rules keep them to their own)."""
        desk_use_customer_tz(
            request.env.user.partner_id.commercial_partner_id, request.env.company
        )
        return desk_portal_list(
            self,
            "order.desk.return",
            [],
            "/my/returns",
            page,
            "order_desk.portal_my_desk_returns",
            "desk_returns",
            "desk_return",
        )

    @http.route(
        ["/my/returns/<int:return_id>"], type="http", auth="public", website=True
    )
    def portal_desk_return_page(
        self, return_id, access_token=None, report_type=None, download=False, **_kwargs
    ):
        """One return request: its own customer, or the e-mailed link's token."""
        try:
            return_sudo = self._document_check_access(
                "order.desk.return", return_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        tz = desk_use_customer_tz(return_sudo.partner_id, return_sudo.company_id)
        return_sudo = return_sudo.with_context(tz=tz)
        if report_type in ("html", "pdf", "text"):
            return self._show_report(
                model=return_sudo,
                report_type=report_type,
                report_ref="order_desk.return_authorization_report",
                download=download,
            )
        values = self._get_page_view_values(
            return_sudo,
            access_token,
            {"desk_return": return_sudo, "page_name": "desk_return"},
            "my_desk_returns_history",
            False,
        )
        return request.render("order_desk.portal_desk_return_page", values)

    @http.route(
        ["/my/orders/<int:order_id>/return"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        website=True,
    )
    def portal_desk_return_request(
        self, order_id, access_token=None, picking_id=None, **post
    ):
        """The customer asks to return goods of their delivered order; the request arrives
        checked (quantities, lots, return window) and waiting for approval."""
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        desk_use_customer_tz(order_sudo.partner_id, order_sudo.company_id)
        deliveries = order_sudo.picking_ids.filtered(
            lambda p: p.state == "done" and p._desk_is_customer_delivery()
        ).sorted("date_done", reverse=True)
        picking = (
            deliveries.filtered(lambda p: str(p.id) == str(picking_id))
            or deliveries[:1]
        )
        error = None
        if request.httprequest.method == "POST" and picking:
            try:
                return_sudo = self._desk_create_portal_return(order_sudo, picking, post)
            except (UserError, ValidationError) as exc:
                error = exc.args[0]
            else:
                return request.redirect(
                    f"/my/returns/{return_sudo.id}?access_token={return_sudo._portal_ensure_token()}"
                )
        # As the system, for this order only (access checked above): the customer reads the
        # order's returnable goods and the return reasons, which portal users cannot list.
        Return = request.env["order.desk.return"].with_user(SUPERUSER_ID)
        reasons = (
            request.env["order.desk.return.reason"]
            .with_user(SUPERUSER_ID)
            .search([("company_id", "in", (False, order_sudo.company_id.id))])
        )
        returnable = (
            {
                sale_line: desk_quantity(request.env, quantity)
                for sale_line, quantity in Return._desk_available(picking).items()
                if float_compare(
                    quantity,
                    0.0,
                    precision_rounding=sale_line.product_uom_id.rounding,
                )
                > 0
            }
            if picking
            else {}
        )
        values = {
            "sale_order": order_sudo,
            "deliveries": deliveries,
            "picking": picking,
            "returnable": returnable,
            "nothing_left": picking
            and not returnable
            and request.env._(
                "Everything delivered on %(picking)s has come back or is already asked "
                "back.",
                picking=picking.name,
            ),
            "reasons": reasons,
            "conditions": Return.env["order.desk.return.line"]
            ._fields["condition"]
            ._description_selection(request.env),
            "outcomes": Return.env["order.desk.return.line"]
            ._fields["outcome"]
            ._description_selection(request.env),
            "access_token": access_token,
            "error": error,
            "post": post,
            "page_name": "desk_return",
        }
        return request.render("order_desk.portal_desk_return_request", values)

    def _desk_create_portal_return(self, order_sudo, picking, post):
        """Create and submit the request from the posted form, or raise with the reason;
        nothing is kept when it is refused."""
        env = order_sudo.env
        reasons = env["order.desk.return.reason"].search(
            [("company_id", "in", (False, order_sudo.company_id.id))]
        )
        Return = env["order.desk.return"]
        returnable = Return._desk_returnable(picking)
        # What may still be asked: the page offers it, and the check below is the
        # desk's own (less what came back and what other requests ask).
        available = Return._desk_available(picking)
        lot_names = {
            sale_line: [
                name.strip()
                for name in (post.get(f"lot_{sale_line.id}") or "").split(",")
                if name.strip()
            ]
            for sale_line in returnable
            if sale_line.product_id.tracking in ("lot", "serial")
        }
        for sale_line, names in lot_names.items():
            if any("\x00" in name for name in names):
                raise UserError(
                    env._(
                        "The lot or serial numbers of %(product)s hold a character that "
                        "cannot be kept (NUL): write them as on the goods.",
                        product=sale_line.product_id.display_name,
                    )
                )
        # One lookup for every lot the customer named.
        lots = env["stock.lot"].search(
            [
                ("product_id", "in", [line.product_id.id for line in lot_names]),
                (
                    "name",
                    "in",
                    [name for names in lot_names.values() for name in names],
                ),
                ("company_id", "in", (False, order_sudo.company_id.id)),
            ]
        )
        lines = []
        for sale_line in returnable:
            raw = (post.get(f"qty_{sale_line.id}") or "").strip()
            if not raw:
                continue
            quantity = desk_to_number(raw)
            # (No goods come back by the quadrillion: such a number is no quantity, and
            # rounding it to the unit would overflow.)
            if quantity is None or abs(quantity) >= MAX_NUMBER:
                raise UserError(
                    env._(
                        "%(value)s is not a quantity: give the number of %(product)s to "
                        "return.",
                        value=desk_printable(raw),
                        product=sale_line.product_id.display_name,
                    )
                )
            if quantity <= 0:
                continue
            if (
                float_compare(
                    quantity,
                    available.get(sale_line, 0.0),
                    precision_rounding=sale_line.product_uom_id.rounding,
                )
                > 0
            ):
                raise UserError(
                    Return._desk_too_much(
                        sale_line, picking, quantity, available.get(sale_line, 0.0)
                    )
                )
            reason = reasons.filtered(
                lambda r, sl=sale_line: str(r.id) == post.get(f"reason_{sl.id}")
            )
            if not reason:
                raise UserError(
                    env._(
                        "Choose the reason for returning %(product)s.",
                        product=sale_line.product_id.display_name,
                    )
                )
            condition = post.get(f"condition_{sale_line.id}") or "sealed"
            outcome = post.get(f"outcome_{sale_line.id}") or reason.default_outcome
            if condition not in ("sealed", "opened", "damaged") or outcome not in (
                "refund",
                "exchange",
            ):
                raise UserError(
                    env._(
                        "Choose the condition of %(product)s and whether you want a refund "
                        "or an exchange.",
                        product=sale_line.product_id.display_name,
                    )
                )
            base = {
                "sale_line_id": sale_line.id,
                "reason_id": reason.id,
                "condition": condition,
                "outcome": outcome,
            }
            if sale_line in lot_names:
                names = lot_names[sale_line]
                named = lots.filtered(
                    lambda lot, sl=sale_line, ns=names: (
                        lot.product_id == sl.product_id and lot.name in ns
                    )
                )
                if not names or len(named) != len(set(names)):
                    raise UserError(
                        env._(
                            "Give the lot or serial numbers of %(product)s, as written "
                            "on the goods.",
                            product=sale_line.product_id.display_name,
                        )
                    )
                if sale_line.product_id.tracking == "serial":
                    lines += [
                        {**base, "lot_id": lot.id, "quantity": 1.0} for lot in named
                    ]
                else:
                    lines.append({**base, "lot_id": named[:1].id, "quantity": quantity})
            else:
                lines.append({**base, "quantity": quantity})
        if not lines:
            raise UserError(
                env._("Give the quantity of at least one product to return.")
            )
        user = request.env.user
        # The customer cannot write returns: the request is made as the system, for this
        # order only (access checked by the caller), then checked as any clerk's would be.
        # It is checked before it gets its RMA number: a refused request shows none and uses
        # none of the sequence.
        with env.cr.savepoint():
            return_sudo = env["order.desk.return"].create(
                {
                    "name": UNNUMBERED,
                    "order_id": order_sudo.id,
                    "picking_id": picking.id,
                    "source": "portal",
                    "requested_by_id": user.id,
                    "note": (post.get("note") or "").strip() or False,
                    "line_ids": [(0, 0, vals) for vals in lines],
                }
            )
            return_sudo.action_submit()
        return_sudo.name = return_sudo.with_company(
            order_sudo.company_id
        )._desk_next_names(1)[0]
        return return_sudo
