from datetime import date

from odoo.tests import tagged

from .test_statement import StatementCase


@tagged("post_install", "-at_install")
class TestMatchingChunks(StatementCase):
    """Matching payments with invoices a chunk of customers at a time (as the scheduled
    job does, committing each chunk) gives the same result as one pass, and a run
    stopped half-way is finished by the next one."""

    def _books(self):
        by_reference = self._customer("Chunk Ref Customer")
        self._invoice(by_reference, 100.0, "2026-10-01")
        invoice = self._invoice(by_reference, 100.0, "2026-10-02")
        self._payment(by_reference, 100.0, "2026-10-20", memo=invoice.name)
        by_amount = self._customer("Chunk Amount Customer")
        self._invoice(by_amount, 250.0, "2026-10-01")
        self._invoice(by_amount, 120.0, "2026-10-03")
        self._payment(by_amount, 120.0, "2026-10-20")
        by_age = self._customer("Chunk Age Customer")
        self._invoice(by_age, 80.0, "2026-10-01")
        self._invoice(by_age, 90.0, "2026-10-04")
        self._payment(by_age, 100.0, "2026-10-20")
        return by_reference | by_amount | by_age

    def _result(self, partners):
        """Each journal item's open amount and the items it is matched with."""
        self.env.flush_all()
        self.env.invalidate_all()
        items = self.env["account.move.line"].search(
            [
                ("partner_id", "in", partners.ids),
                ("account_type", "=", "asset_receivable"),
            ]
        )
        return {
            item.id: (
                round(item.amount_residual, 2),
                sorted(
                    (
                        item.matched_debit_ids.debit_move_id
                        | item.matched_credit_ids.credit_move_id
                    ).ids
                ),
            )
            for item in items
        }

    def _match(self, partners, **options):
        Statement = self.env["order.desk.statement"]
        return Statement._desk_auto_match(
            self.company, partners, date(2026, 10, 31), **options
        )

    def test_chunks_give_the_same_result_as_one_pass(self):
        partners = self._books()
        before = self._result(partners)
        with self.cr.savepoint() as savepoint:
            self.assertEqual(self._match(partners), 3)
            one_pass = self._result(partners)
            savepoint.rollback()
        self.assertEqual(self._result(partners), before)
        progress = []

        def commit(done, left):
            progress.append((done, left))
            return True

        self.assertEqual(self._match(partners, chunk_size=1, commit=commit), 3)
        self.assertEqual(progress, [(1, 2), (1, 1), (1, 0)])
        self.assertEqual(self._result(partners), one_pass)
        self.assertNotEqual(one_pass, before)

    def test_stopped_run_is_finished_by_the_next(self):
        partners = self._books()
        with self.cr.savepoint() as savepoint:
            self._match(partners)
            one_pass = self._result(partners)
            savepoint.rollback()
        # The first run is out of time after its first chunk.
        self.assertIsNone(
            self._match(partners, chunk_size=1, commit=lambda done, left: False)
        )
        halfway = self._result(partners)
        self.assertNotEqual(halfway, one_pass)
        self.assertEqual(self._match(partners, chunk_size=1), 2)
        self.assertEqual(self._result(partners), one_pass)
