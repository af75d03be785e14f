import re

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition, request

from odoo.addons.portal.controllers.portal import CustomerPortal

from ..models.order_desk_field_guard import MAX_NUMBER, desk_to_id, desk_to_number
from ..models.order_desk_statement import ACCOUNTING_GROUP
from .portal_common import desk_portal_count, desk_portal_list


class OrderDeskStatementController(CustomerPortal):
    # ------------------------------------------------------------------------------------------
    # XLSX export (accountants)
    # ------------------------------------------------------------------------------------------
    @http.route(
        "/order_desk/statements/xlsx",
        type="http",
        auth="user",
        methods=["GET"],
        readonly=True,
    )
    def desk_statements_xlsx(self, ids="", layout="sheets", **_kwargs):
        """The statements ``ids`` (comma-separated) the accountant may read, as XLSX."""
        if not request.env.user.has_group(ACCOUNTING_GROUP):
            raise AccessError(
                request.env._("Only accountants (Invoicing users) can do this.")
            )
        statement_ids = [desk_to_id(value) for value in ids.split(",") if value]
        if None in statement_ids:
            raise UserError(request.env._("The statements to export are not valid."))
        if layout not in ("sheets", "summary"):
            raise UserError(
                request.env._("Unknown workbook layout %(layout)s.", layout=layout)
            )
        statements = request.env["order.desk.statement"].browse(statement_ids).exists()
        if not statements:
            raise MissingError(request.env._("These statements do not exist."))
        statements.check_access("read")
        content = statements._desk_xlsx(layout)
        filename = request.env._("Statements of Account.xlsx")
        return request.make_response(
            content,
            headers=[
                (
                    "Content-Type",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
                ("Content-Disposition", content_disposition(filename)),
            ],
        )

    # ------------------------------------------------------------------------------------------
    # Portal
    # ------------------------------------------------------------------------------------------
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        values.update(
            desk_portal_count(
                "order.desk.statement",
                [("state", "!=", "draft")],
                counters,
                "desk_statement_count",
            )
        )
        return values

    @http.route(
        ["/my/statements", "/my/statements/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_desk_statements(self, page=1, **_kwargs):
        """The customer's statements of account (their own, drafts excepted)."""
        return desk_portal_list(
            self,
            "order.desk.statement",
            [("state", "!=", "draft")],
            "/my/statements",
            page,
            "order_desk.portal_my_desk_statements",
            "desk_statements",
            "desk_statement",
        )

    def _desk_statement_or_redirect(self, statement_id, access_token):
        try:
            statement = self._document_check_access(
                "order.desk.statement", statement_id, access_token=access_token
            )
        except (AccessError, MissingError):
            return None
        # Drafts are the accountant's work in progress: the customer sees sent ones.
        return statement if statement.state != "draft" else None

    @http.route(
        ["/my/statements/<int:statement_id>"], type="http", auth="public", website=True
    )
    def portal_desk_statement_page(
        self,
        statement_id,
        access_token=None,
        report_type=None,
        download=False,
        **kwargs,
    ):
        """One statement: its customer, or the e-mailed link's token."""
        statement = self._desk_statement_or_redirect(statement_id, access_token)
        if statement is None:
            return request.redirect("/my")
        if request.env.user._is_public():
            # A visitor from the e-mailed link, not logged in: the page speaks the
            # customer's language, as the e-mail that brought them did.
            lang = request.env["res.lang"]._get_code(statement.partner_id.lang or "")
            if lang:
                request.update_context(lang=lang)
        if report_type in ("html", "pdf", "text"):
            letter = bool(kwargs.get("letter"))
            report = (
                "order_desk.balance_confirmation_report"
                if letter
                else "order_desk.statement_of_account_report"
            )
            response = self._show_report(
                model=statement,
                report_type=report_type,
                report_ref=report,
                download=download,
            )
            if report_type == "pdf" and letter:
                # The portal names the file after the statement; the letter is another
                # document.
                name = re.sub(r"\W+", "_", statement._desk_letter_filename())
                response.headers["Content-Disposition"] = content_disposition(
                    f"{name}.pdf",
                    disposition_type="attachment" if download else "inline",
                )
            return response
        values = self._get_page_view_values(
            statement,
            access_token,
            {
                "desk_statement": statement,
                "page_name": "desk_statement",
                "error": kwargs.get("error"),
                "done": kwargs.get("done"),
            },
            "my_desk_statements_history",
            False,
        )
        return request.render("order_desk.portal_desk_statement_page", values)

    @http.route(
        ["/my/statements/<int:statement_id>/confirm"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_desk_statement_confirm(self, statement_id, access_token=None, **post):
        """The customer agrees with the balance of a sent statement."""
        statement = self._desk_statement_or_redirect(statement_id, access_token)
        if statement is None:
            return request.redirect("/my")
        url = statement.get_portal_url()
        if statement.state != "sent":
            return request.redirect(
                f"{url}&error=state" if "?" in url else f"{url}?error=state"
            )
        comment = post.get("comment") or ""
        if "\x00" in comment:
            return request.redirect(
                f"{url}&error=comment" if "?" in url else f"{url}?error=comment"
            )
        who = request.env._(
            "%(name)s (customer portal)",
            name=request.env.user.name
            if not request.env.user._is_public()
            else statement.partner_id.name,
        )
        # The link's token (or the customer's own login) was checked above: the
        # confirmation is recorded for the customer, as the system.
        statement._desk_confirm(who, note=comment.strip() or None)
        return request.redirect(
            f"{url}&done=confirmed" if "?" in url else f"{url}?done=confirmed"
        )

    @http.route(
        ["/my/statements/<int:statement_id>/dispute"],
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def portal_desk_statement_dispute(self, statement_id, access_token=None, **post):
        """The customer disputes an amount of a sent statement, with a comment."""
        statement = self._desk_statement_or_redirect(statement_id, access_token)
        if statement is None:
            return request.redirect("/my")
        url = statement.get_portal_url()
        joiner = "&" if "?" in url else "?"
        if statement.state not in ("sent", "disputed"):
            return request.redirect(f"{url}{joiner}error=state")
        error = self._desk_dispute_error(statement, post)
        if error:
            return request.redirect(f"{url}{joiner}error={error}")
        try:
            with statement.env.cr.savepoint():
                statement.action_dispute(
                    [
                        {
                            "line_id": desk_to_id(post.get("line_id") or "") or False,
                            "amount": desk_to_number(post.get("amount")),
                            "reason": post.get("comment"),
                        }
                    ]
                )
        except UserError:
            return request.redirect(f"{url}{joiner}error=dispute")
        return request.redirect(f"{url}{joiner}done=disputed")

    @staticmethod
    def _desk_dispute_error(statement, post):
        """What is wrong with the posted dispute, as the page's error code: ``dispute``
        (no amount, no reason, no line of this statement), ``amount`` (more than the
        statement or the line shows), ``total`` (more than is left to dispute once the
        open disputes are counted), or None."""
        raw_line = (post.get("line_id") or "").strip()
        line = statement.line_ids.browse()
        if raw_line:
            line_id = desk_to_id(raw_line)
            line = statement.line_ids.filtered(lambda ln: ln.id == line_id)
            if not line:
                return "dispute"
        amount = desk_to_number(post.get("amount"))
        comment = post.get("comment") or ""
        if amount is None or amount <= 0 or not comment.strip() or "\x00" in comment:
            return "dispute"
        limit = statement._desk_dispute_limit(line)
        if (
            amount >= MAX_NUMBER
            or statement.currency_id.compare_amounts(amount, limit) > 0
        ):
            return "amount"
        # Together with the open disputes (several posts of the form add up).
        room = statement._desk_dispute_room(line)
        if statement.currency_id.compare_amounts(amount, room) > 0:
            return "total"
        return None
