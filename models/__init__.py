from . import (
    order_desk_exception,
    order_desk_rule,
    res_company,
    res_config_settings,
    sale_order,
)
