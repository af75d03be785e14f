from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """19.0.1.2.0 adds the *Within quota* check: companies that already have their rules
    get a copy of the shipped one (new companies get every shipped rule anyway)."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    template = env.ref("order_desk.order_desk_rule_quota", raise_if_not_found=False)
    if not template:
        return
    Rule = env["order.desk.rule"].with_context(active_test=False)
    with_quota = {
        company.id
        for [company] in Rule._read_group(
            [("check_type", "=", "quota")], groupby=["company_id"]
        )
    }
    with_rules = {
        company.id for [company] in Rule._read_group([], groupby=["company_id"])
    }
    for company_id in with_rules - with_quota:
        template.copy({"company_id": company_id})
