from odoo import api, models
from odoo.tools import SQL


def money_move_sql(alias):
    """SQL condition: the journal entry of table alias ``alias`` is money: the entry of a
    payment or of a bank statement line, **its own** (the payment's or the line's
    ``move_id`` is this entry; a payment confirmed, not a draft, cancelled or rejected
    one), and a plain entry. The test of Odoo's own payment status
    (account.move._compute_payment_state) looks at the entry's link alone, which an
    accountant can write on an invoice, a credit note or a hand-made entry; the desk also
    asks the payment or the line to own the entry. Python's twin:
    ``account.move._desk_is_money``."""
    move = SQL.identifier(alias)
    return SQL(
        """(%(move)s.move_type = 'entry' AND (
               EXISTS (SELECT 1 FROM account_payment own_payment
                        WHERE own_payment.id = %(move)s.origin_payment_id
                          AND own_payment.move_id = %(move)s.id
                          AND own_payment.state NOT IN ('draft', 'canceled', 'rejected'))
            OR EXISTS (SELECT 1 FROM account_bank_statement_line own_line
                        WHERE own_line.id = %(move)s.statement_line_id
                          AND own_line.move_id = %(move)s.id)))""",
        move=move,
    )


MONEY_MOVE = money_move_sql("money")


def money_matched_sql(moves):
    """SQL giving rows ``(move id, amount)``: the money (``MONEY_MOVE``) matched with the
    receivable items of the moves ``moves`` (an SQL expression of their ids, a tuple or a
    sub-query), in each move's own currency; a move may have two rows (its items on either
    side of the matching). The one definition of "paid" of the desk: the ORM
    (``account.move._desk_money_matched``) and the install's SQL (``hooks``) both use it."""

    def side(own, other):
        # The items on the ``own`` side of a matching, with the money on the other side.
        # Two indexed joins rather than one join on either column.
        return SQL(
            """
            SELECT line.move_id, SUM(%(amount)s)
              FROM account_move_line line
              JOIN account_account account ON account.id = line.account_id
              JOIN account_partial_reconcile part ON %(own)s = line.id
              JOIN account_move_line other ON other.id = %(other)s
              JOIN account_move money ON money.id = other.move_id
             WHERE line.move_id IN %(moves)s
               AND account.account_type = 'asset_receivable'
               AND %(money)s
             GROUP BY line.move_id
            """,
            amount=SQL.identifier("part", f"{own}_amount_currency"),
            own=SQL.identifier("part", f"{own}_move_id"),
            other=SQL.identifier("part", f"{other}_move_id"),
            moves=moves,
            money=MONEY_MOVE,
        )

    return SQL("%s UNION ALL %s", side("debit", "credit"), side("credit", "debit"))


class AccountMove(models.Model):
    _inherit = "account.move"

    @api.private
    def _desk_money_matched(self):
        """``{move id: amount}``: the money matched with the receivable items of ``self``
        (customer invoices and credit notes), in each move's own currency.

        On an invoice it is what the customer paid; on a credit note what was paid back to
        them. Only payments and bank statement lines count: a credit note, a reversal or
        another entry matched with an invoice reduces what is due, not what is paid. A
        write-off booked with the payment (Register Payment's "Mark as fully paid") belongs
        to the payment's entry and counts with it. One query for any number of moves.
        """
        ids = tuple(self._origin.ids)
        if not ids:
            return {}
        self.env["account.partial.reconcile"].flush_model(
            [
                "debit_move_id",
                "credit_move_id",
                "debit_amount_currency",
                "credit_amount_currency",
            ]
        )
        self.env["account.move.line"].flush_model(["move_id", "account_id"])
        self.flush_model(["move_type", "origin_payment_id", "statement_line_id"])
        self.env["account.payment"].flush_model(["move_id", "state"])
        self.env["account.bank.statement.line"].flush_model(["move_id"])
        rows = self.env.execute_query(money_matched_sql(SQL("%s", ids)))
        matched = dict.fromkeys(ids, 0.0)
        for move_id, amount in rows:
            matched[move_id] += amount
        return matched

    def _desk_is_money(self):
        """Whether this journal entry is money received or paid back (see
        ``money_move_sql``, its SQL twin)."""
        self.ensure_one()
        payment = self.origin_payment_id
        return self.move_type == "entry" and (
            (
                payment.move_id == self
                and payment.state not in ("draft", "canceled", "rejected")
            )
            or self.statement_line_id.move_id == self
        )
