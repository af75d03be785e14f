from odoo import SUPERUSER_ID, api

from odoo.addons.order_desk.hooks import set_home_actions


def migrate(cr, version):
    """Existing desk users land on the new Overview (issue 12), unless they chose a home."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    set_home_actions(env)
