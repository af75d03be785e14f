import logging
import time
from datetime import date
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from .test_statement import StatementCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestStatementVolume(StatementCase):
    """Statements for many customers and items in a number of queries that does not grow.

    The journal items are inserted in SQL: posting a hundred thousand of them through the
    ORM would take many minutes, and the statements only read posted receivable items.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.journal = cls.env["account.journal"].search(
            [("type", "=", "general"), ("company_id", "=", cls.company.id)], limit=1
        )
        cls.receivable = cls.env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", cls.company.ids),
            ],
            limit=1,
        )

    def _books(self, customers, items_per_customer, tag):
        """``customers`` customers, each with one posted entry of ``items_per_customer``
        receivable items spread over September and October 2026."""
        partners = self.env["res.partner"].create(
            [{"name": f"Volume {tag} {index:04d}"} for index in range(customers)]
        )
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                INSERT INTO account_move
                       (name, journal_id, move_type, state, date, currency_id, company_id,
                        auto_post, partner_id, create_uid, create_date, write_uid, write_date)
                SELECT 'VOL/' || partner.id, %(journal)s, 'entry', 'posted', '2026-10-01',
                       %(currency)s, %(company)s, 'no', partner.id,
                       1, now(), 1, now()
                  FROM res_partner partner
                 WHERE partner.id IN %(partners)s
                """,
                journal=self.journal.id,
                currency=self.currency.id,
                company=self.company.id,
                partners=tuple(partners.ids),
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO account_move_line
                       (move_id, partner_id, account_id, company_id, journal_id, currency_id,
                        company_currency_id, display_type, date, date_maturity, parent_state,
                        name, debit, credit, balance, amount_currency, amount_residual,
                        amount_residual_currency, reconciled,
                        create_uid, create_date, write_uid, write_date)
                SELECT move.id, move.partner_id, %(account)s, %(company)s, %(journal)s,
                       %(currency)s, %(currency)s, 'product',
                       DATE '2026-09-01' + (item %% 60), DATE '2026-09-01' + (item %% 60),
                       'posted', 'Volume item',
                       amounts.debit, amounts.credit, amounts.debit - amounts.credit,
                       amounts.debit - amounts.credit, amounts.debit - amounts.credit,
                       amounts.debit - amounts.credit, false,
                       1, now(), 1, now()
                  FROM account_move move
                  CROSS JOIN generate_series(1, %(items)s) item
                  CROSS JOIN LATERAL (
                      SELECT CASE WHEN item %% 3 = 0 THEN 0 ELSE 10 + item %% 7 END AS debit,
                             CASE WHEN item %% 3 = 0 THEN 5 ELSE 0 END AS credit
                  ) amounts
                 WHERE move.partner_id IN %(partners)s AND move.name LIKE 'VOL/%%'
                """,
                account=self.receivable.id,
                company=self.company.id,
                journal=self.journal.id,
                currency=self.currency.id,
                items=items_per_customer,
                partners=tuple(partners.ids),
            )
        )
        # As autovacuum would in a live database: the planner knows how many items exist.
        cr.execute(SQL("ANALYZE account_move_line, account_move, res_partner"))
        self.env.invalidate_all()
        return partners

    def _expected_closing(self, items_per_customer):
        closing = 0.0
        for item in range(1, items_per_customer + 1):
            in_range = (date(2026, 9, 1).toordinal() + item % 60) <= date(
                2026, 10, 31
            ).toordinal()
            if in_range:
                closing += (0 if item % 3 == 0 else 10 + item % 7) - (
                    5 if item % 3 == 0 else 0
                )
        return closing

    def _count(self, customers, items):
        partners = self._books(customers, items, f"{customers}x{items}")
        found = []
        queries = self._desk_queries(
            lambda: found.append(
                self._generate(date(2026, 10, 1), date(2026, 10, 31), partners)
            )
        )
        statements = found[0]
        self.assertEqual(len(statements), customers)
        return queries, statements

    def test_generate_query_count_does_not_grow(self):
        with (
            patch("odoo.orm.models.INSERT_BATCH_SIZE", 100_000),
            patch("odoo.orm.models.UPDATE_BATCH_SIZE", 100_000),
        ):
            self._count(5, 10)  # warm-up
            small, _statements = self._count(10, 20)
            large, statements = self._count(60, 80)
        _logger.info(
            "statements: 10 customers x 20 items %s queries, 60 x 80: %s",
            len(small),
            len(large),
        )
        self.assertSameQueries(small, large, "statements 10 x 20, then 60 x 80")
        statement = statements[0]
        self.assertAlmostEqual(statement.closing_balance, self._expected_closing(80))
        self.assertEqual(
            statement.line_ids[-1].balance, statement.closing_balance, "running balance"
        )

    def test_thousand_customers_hundred_thousand_items(self):
        partners = self._books(1000, 100, "big")
        self.env.flush_all()
        before = self.cr.sql_log_count
        started = time.perf_counter()
        statements = self._generate(date(2026, 10, 1), date(2026, 10, 31))
        self.env.flush_all()
        elapsed = time.perf_counter() - started
        queries = self.cr.sql_log_count - before
        lines = self.env["order.desk.statement.line"].search_count(
            [("statement_id", "in", statements.ids)]
        )
        _logger.info(
            "statements: 1,000 customers and 100,000 items in %.1f s, %s queries, "
            "%s statement lines",
            elapsed,
            queries,
            lines,
        )
        mine = statements.filtered(lambda s: s.partner_id in partners)
        self.assertEqual(len(mine), 1000)
        self.assertAlmostEqual(
            sum(mine.mapped("closing_balance")), 1000 * self._expected_closing(100)
        )
