from odoo import http
from odoo.exceptions import AccessError, MissingError

from odoo.addons.sale.controllers import portal as sale_portal

from .portal_common import desk_use_customer_tz


class OrderDeskSalePortal(sale_portal.CustomerPortal):
    @http.route()
    def portal_order_page(self, order_id, report_type=None, access_token=None, **kw):
        """The order page (and its PDF) in the customer's time zone: the desk's tracking,
        timeline and returns tell the times the customer lives by, as do Odoo's dates on
        the same page."""
        try:
            order_sudo = self._document_check_access(
                "sale.order", order_id, access_token=access_token
            )
        except (AccessError, MissingError):
            # Odoo's page refuses it (below): no customer, no time zone to take.
            order_sudo = None
        if order_sudo:
            desk_use_customer_tz(order_sudo.partner_id, order_sudo.company_id)
        return super().portal_order_page(
            order_id, report_type=report_type, access_token=access_token, **kw
        )
