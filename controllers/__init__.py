from . import portal_return
from . import tracking_webhook
