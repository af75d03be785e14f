from . import portal_return
from . import statement
from . import tracking_webhook
