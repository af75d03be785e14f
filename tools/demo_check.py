# The install-with-demo smoke check of `make test` (tools/test.sh): what README.md promises a
# newcomer on the demo database. Run by `odoo shell -d <demo db> < tools/demo_check.py`
# (``env`` is the shell's superuser environment); prints "demo check: ok" or each problem.
# ruff: noqa: F821
import sys

problems = []


def check(condition, problem):
    if not condition:
        problems.append(problem)


def demo(xmlid):
    return env.ref(f"order_desk.{xmlid}")


# Orders in every desk state, as the workflow left them.
expected_states = {
    "sale_order_draft_demo": "draft",
    "sale_order_review_blocking_demo": "to_review",
    "sale_order_review_clean_demo": "to_review",
    "sale_order_review_credit_demo": "to_review",
    "sale_order_unlocked_demo": "approved",
    "sale_order_approved_demo": "locked",
    "sale_order_ready_demo": "ready",
    "sale_order_shipped_demo": "shipped",
    "sale_order_delivered_demo": "delivered",
    "sale_order_cancel_demo": "cancel",
}
orders = env["sale.order"]
for xmlid, state in expected_states.items():
    order = demo(xmlid)
    orders |= order
    check(
        order.desk_state == state,
        f"{xmlid} is {order.desk_state}, the demo promises {state}",
    )
check(
    set(expected_states.values())
    == {key for key, _label in env["sale.order"]._fields["desk_state"].selection},
    "the demo does not show every desk state",
)
to_review = env["sale.order"].search_count([("desk_state", "=", "to_review")])
check(to_review >= 3, f"Orders to Review lists {to_review} orders, not the demo's 3")
check(
    not orders.filtered(lambda o: o.user_id == env.ref("base.user_root")),
    "demo orders have OdooBot as salesperson",
)

# The clean order passed every check; approved orders carry no open exception.
clean = demo("sale_order_review_clean_demo")
check(
    not clean.desk_exception_ids,
    "the clean order has exceptions: "
    + "; ".join(clean.desk_exception_ids.mapped("message")),
)
for xmlid in (
    "sale_order_unlocked_demo",
    "sale_order_approved_demo",
    "sale_order_ready_demo",
    "sale_order_shipped_demo",
    "sale_order_delivered_demo",
):
    order = demo(xmlid)
    check(
        not order.desk_open_exception_count,
        f"{xmlid} keeps open exceptions: "
        + "; ".join(
            order.desk_exception_ids.filtered(lambda e: e.state == "open").mapped(
                "message"
            )
        ),
    )
blocking = demo("sale_order_review_blocking_demo")
check(blocking.desk_has_blocking_exception, "the blocking order has no blocking check")

# The demo's review is the demo users' work: the KPIs by clerk name people, not OdooBot.
approved = demo("sale_order_approved_demo")
check(
    approved.desk_submitted_user_id == demo("user_clerk_demo")
    and approved.desk_approved_user_id == demo("user_manager_demo"),
    f"the approved order was submitted by {approved.desk_submitted_user_id.name} and "
    f"approved by {approved.desk_approved_user_id.name}, not the demo clerk and manager",
)

# Dates that tell a story in order: ordered, shipped, delivered.
delivered = demo("sale_order_delivered_demo")
delivery = delivered.picking_ids.filtered(lambda p: p.state == "done")
check(
    delivery.desk_delivered_date, "the delivered order's delivery has no Delivered On"
)
check(
    delivered.date_order <= min(delivery.mapped("date_done"))
    and max(delivery.mapped("date_done")) <= delivery.desk_delivered_date,
    f"the delivered order was ordered {delivered.date_order}, shipped "
    f"{delivery.date_done} and delivered {delivery.desk_delivered_date}",
)

# An incident with its goods, a return, a sent statement.
incident = demo("order_desk_incident_complaint_demo")
check(incident.picking_id, "the demo incident has no delivery")
check(
    incident.line_ids and all(line.quantity > 0 for line in incident.line_ids),
    "the demo incident has no goods",
)
ret = demo("order_desk_return_demo")
check(
    ret.state == "to_approve" and ret.line_ids,
    f"the demo return is {ret.state} with {len(ret.line_ids)} lines",
)
statements = env["order.desk.statement"].search(
    [("partner_id", "=", demo("res_partner_complete_demo").id)]
)
check(
    statements.filtered(lambda s: s.state != "draft" and s.line_ids),
    "no statement with lines was sent to the demo customer",
)

# The portal customer logs in and finds orders, returns and a statement of their own.
portal = env["res.users"].search([("login", "=", "customer")])
check(portal and portal._is_portal(), "no portal login 'customer'")
if portal:
    env.cr.execute("SELECT password FROM res_users WHERE id = %s", [portal.id])
    hashed = env.cr.fetchone()[0]
    check(
        env["res.users"]._crypt_context().verify("customer", hashed),
        "the portal login's password is not 'customer'",
    )
    as_customer = env(user=portal.id, su=False)
    for model, what in (
        ("sale.order", "orders"),
        ("order.desk.return", "returns"),
        ("order.desk.statement", "statements"),
    ):
        check(
            as_customer[model].search_count([]),
            f"the portal customer sees no {what}",
        )

env.cr.rollback()
if problems:
    for problem in problems:
        sys.stdout.write(f"demo check: {problem}\n")
    raise SystemExit(1)
sys.stdout.write("demo check: ok\n")
