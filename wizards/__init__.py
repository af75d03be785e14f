from . import order_desk_override_wizard
from . import order_desk_reject_wizard
from . import order_desk_unlock_wizard
from . import order_desk_availability_wizard
from . import order_desk_tracking_import_wizard
from . import order_desk_dispatch_wizard
from . import order_desk_return_reject_wizard
