from . import test_checks
from . import test_review_flow
from . import test_security
from . import test_batch
from . import test_lock
from . import test_concurrency
