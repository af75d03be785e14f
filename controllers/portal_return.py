from odoo import SUPERUSER_ID, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager


class OrderDeskReturnPortal(CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "desk_return_count" in counters:
            Return = request.env["order.desk.return"]
            values["desk_return_count"] = (
                Return.search_count([], limit=1) if Return.has_access("read") else 0
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
        Return = request.env["order.desk.return"]
        if not Return.has_access("read"):
            return request.redirect("/my")
        count = Return.search_count([])
        pager = portal_pager(
            url="/my/returns", total=count, page=page, step=self._items_per_page
        )
        returns = Return.search(
            [], order="id desc", limit=self._items_per_page, offset=pager["offset"]
        )
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "desk_returns": returns,
                "pager": pager,
                "page_name": "desk_return",
                "default_url": "/my/returns",
            }
        )
        return request.render("order_desk.portal_my_desk_returns", values)

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
        Return = request.env["order.desk.return"].with_user(SUPERUSER_ID)
        reasons = (
            request.env["order.desk.return.reason"]
            .with_user(SUPERUSER_ID)
            .search([("company_id", "in", (False, order_sudo.company_id.id))])
        )
        values = {
            "sale_order": order_sudo,
            "deliveries": deliveries,
            "picking": picking,
            "returnable": Return._desk_returnable(picking) if picking else {},
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
        lines = []
        for sale_line in env["order.desk.return"]._desk_returnable(picking):
            raw = (post.get(f"qty_{sale_line.id}") or "").strip()
            if not raw:
                continue
            try:
                quantity = float(raw)
            except ValueError:
                raise UserError(
                    env._("%(value)s is not a quantity.", value=raw)
                ) from None
            if quantity <= 0:
                continue
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
                raise UserError(env._("The form was not filled in correctly."))
            base = {
                "sale_line_id": sale_line.id,
                "reason_id": reason.id,
                "condition": condition,
                "outcome": outcome,
            }
            if sale_line.product_id.tracking in ("lot", "serial"):
                names = [
                    name.strip()
                    for name in (post.get(f"lot_{sale_line.id}") or "").split(",")
                    if name.strip()
                ]
                lots = env["stock.lot"].search(
                    [
                        ("product_id", "=", sale_line.product_id.id),
                        ("name", "in", names),
                        ("company_id", "in", (False, order_sudo.company_id.id)),
                    ]
                )
                if not names or len(lots) != len(set(names)):
                    raise UserError(
                        env._(
                            "Give the lot or serial numbers of %(product)s, as written "
                            "on the goods.",
                            product=sale_line.product_id.display_name,
                        )
                    )
                if sale_line.product_id.tracking == "serial":
                    lines += [
                        {**base, "lot_id": lot.id, "quantity": 1.0} for lot in lots
                    ]
                else:
                    lines.append({**base, "lot_id": lots[:1].id, "quantity": quantity})
            else:
                lines.append({**base, "quantity": quantity})
        if not lines:
            raise UserError(
                env._("Give the quantity of at least one product to return.")
            )
        user = request.env.user
        # The customer cannot write returns: the request is made as the system, for this
        # order only (access checked by the caller), then checked as any clerk's would be.
        with env.cr.savepoint():
            return_sudo = env["order.desk.return"].create(
                {
                    "order_id": order_sudo.id,
                    "picking_id": picking.id,
                    "source": "portal",
                    "requested_by_id": user.id,
                    "note": (post.get("note") or "").strip() or False,
                    "line_ids": [(0, 0, vals) for vals in lines],
                }
            )
            return_sudo.action_submit()
        return return_sudo
