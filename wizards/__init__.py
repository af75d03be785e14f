from . import order_desk_override_wizard, order_desk_reject_wizard
