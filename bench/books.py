"""The books of the statement and matching benchmarks (issue 15, parts 1 and 2).

``od15_bench_books``: order_desk without demo data, 1,000 customers and 100,000 posted
receivable items from January to October 2026, one journal entry each (87 per customer
before October, 13 in October). Two thirds are invoices (debit; journal entries of the
sales journal, so that Odoo does not rebuild their lines), one third payments (credit,
every item open): a quarter of the payments name their invoice in their
reference, a quarter pay an invoice's exact amount, the rest pay whatever comes first.
Inserted in SQL (the ORM would take an hour); ANALYZEd as autovacuum would.
"""

# Bench scripts report on the terminal and build SQL from their own constants.
# pylint: disable=print-used,sql-injection

import benchlib as b

DB = b.PREFIX + "books"
CUSTOMERS = 1000
ITEMS = 100


def ensure_books(fresh=False):
    if not fresh and b.db_exists(DB):
        return DB
    b.ensure_db(b.PREFIX + "desk", "order_desk")
    b.copy_db(b.PREFIX + "desk", DB)
    with b.environment(DB) as env:
        company = env.ref("base.main_company")
        partners = env["res.partner"].create(
            [
                {"name": f"Books customer {i:04d}", "is_company": True}
                for i in range(CUSTOMERS)
            ]
        )
        journal = env["account.journal"].search(
            [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
        )
        bank = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        receivable = env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ],
            limit=1,
        )
        income = env["account.account"].search(
            [("account_type", "=", "income"), ("company_ids", "in", company.ids)],
            limit=1,
        )
        env.flush_all()
        cr = env.cr
        # item 1..100 of each customer: dates spread over Jan-Sep (1..87) and Oct (88..100);
        # item % 3 == 0 is a payment of the invoice item - 1 (same amount or reference).
        cr.execute(
            """
            CREATE TEMP TABLE items AS
            SELECT partner.id AS partner_id, item,
                   CASE WHEN item <= 87
                        THEN DATE '2026-01-01' + ((item - 1) * 273 / 87)
                        ELSE DATE '2026-10-01' + ((item - 88) * 30 / 12) END AS date,
                   item %% 3 = 0 AS is_payment,
                   (100 + (partner.id * 7 + item * 13) %% 900)::numeric AS amount
              FROM res_partner partner, generate_series(1, %(items)s) item
             WHERE partner.id IN %(partners)s
            """,
            {"items": ITEMS, "partners": tuple(partners.ids)},
        )
        cr.execute(
            """
            INSERT INTO account_move
                   (name, ref, journal_id, move_type, state, date, invoice_date,
                    invoice_date_due, currency_id, company_id, auto_post, partner_id,
                    commercial_partner_id, payment_reference, amount_total,
                    amount_residual, amount_total_signed, amount_residual_signed,
                    payment_state, create_uid, create_date, write_uid, write_date)
            SELECT CASE WHEN is_payment THEN 'BPAY/' ELSE 'BINV/' END
                       || partner_id || '/' || item,
                   CASE WHEN is_payment AND item %% 12 = 0
                        THEN 'BINV/' || partner_id || '/' || (item - 1) END,
                   CASE WHEN is_payment THEN %(bank)s ELSE %(journal)s END,
                   'entry',
                   'posted', date, CASE WHEN NOT is_payment THEN date END,
                   CASE WHEN NOT is_payment THEN date + 30 END,
                   %(currency)s, %(company)s, 'no', partner_id, partner_id,
                   CASE WHEN NOT is_payment THEN 'BINV/' || partner_id || '/' || item END,
                   amount, amount, amount, amount,
                   CASE WHEN is_payment THEN NULL ELSE 'not_paid' END,
                   1, now(), 1, now()
              FROM items
            """,
            {
                "journal": journal.id,
                "bank": bank.id,
                "currency": company.currency_id.id,
                "company": company.id,
            },
        )
        # Payments of items 3, 9, 15, ...: the exact amount of the invoice before them;
        # the others their own amount.
        cr.execute(
            """
            UPDATE items pay SET amount = inv.amount
              FROM items inv
             WHERE pay.is_payment AND pay.item % 6 = 3
               AND inv.partner_id = pay.partner_id AND inv.item = pay.item - 1
            """
        )
        cr.execute(
            """
            UPDATE account_move move SET amount_total = items.amount,
                   amount_residual = items.amount, amount_total_signed = items.amount,
                   amount_residual_signed = items.amount
              FROM items
             WHERE move.name = 'BPAY/' || items.partner_id || '/' || items.item
            """
        )
        cr.execute(
            """
            INSERT INTO account_move_line
                   (move_id, partner_id, account_id, company_id, journal_id, currency_id,
                    company_currency_id, display_type, date, date_maturity, parent_state,
                    name, debit, credit, balance, amount_currency, amount_residual,
                    amount_residual_currency, reconciled,
                    create_uid, create_date, write_uid, write_date)
            SELECT move.id, move.partner_id, %(account)s, move.company_id, move.journal_id,
                   move.currency_id, move.currency_id, 'payment_term', move.date,
                   COALESCE(move.invoice_date_due, move.date), 'posted', move.name,
                   CASE WHEN inv THEN amt ELSE 0 END,
                   CASE WHEN inv THEN 0 ELSE amt END,
                   CASE WHEN inv THEN amt ELSE -amt END,
                   CASE WHEN inv THEN amt ELSE -amt END,
                   CASE WHEN inv THEN amt ELSE -amt END,
                   CASE WHEN inv THEN amt ELSE -amt END,
                   false, 1, now(), 1, now()
              FROM account_move move
              CROSS JOIN LATERAL (
                  SELECT move.amount_total AS amt, move.name LIKE 'BINV/%%' AS inv
              ) amounts
             WHERE move.name LIKE 'BINV/%%' OR move.name LIKE 'BPAY/%%'
            """,
            {"account": receivable.id},
        )
        # The counterpart of each entry (income, or the bank's outstanding account), so
        # that every entry balances as Odoo's reconciliation requires.
        cr.execute(
            """
            INSERT INTO account_move_line
                   (move_id, partner_id, account_id, company_id, journal_id, currency_id,
                    company_currency_id, display_type, date, parent_state, name,
                    debit, credit, balance, amount_currency, amount_residual,
                    amount_residual_currency, reconciled,
                    create_uid, create_date, write_uid, write_date)
            SELECT aml.move_id, aml.partner_id, %(other)s, aml.company_id, aml.journal_id,
                   aml.currency_id, aml.currency_id, 'product', aml.date, 'posted',
                   'Counterpart', aml.credit, aml.debit, -aml.balance,
                   -aml.amount_currency, 0, 0, false, 1, now(), 1, now()
              FROM account_move_line aml
             WHERE aml.account_id = %(account)s
            """,
            {"account": receivable.id, "other": income.id},
        )
        cr.execute("ANALYZE")
    return DB
