from . import portal_return
from . import portal_sale
from . import statement
from . import tracking_webhook
