from . import order_desk_document_mixin
from . import res_company
from . import res_config_settings
from . import order_desk_rule
from . import order_desk_exception
from . import order_desk_tracking_event
from . import order_desk_tracking_number
from . import order_desk_incident
from . import order_desk_return_reason
from . import order_desk_return
from . import product_product
from . import stock_move
from . import stock_rule
from . import stock_picking
from . import stock_warehouse_orderpoint
from . import delivery_carrier
from . import sale_order
from . import sale_order_timeline
from . import sale_order_line
from . import res_partner
from . import account_move_line
from . import order_desk_statement

# Last: their SQL views read columns that the models above add (stock.move).
from . import order_desk_return_rate
from . import order_desk_kpi_report
from . import order_desk_kpi_alert
