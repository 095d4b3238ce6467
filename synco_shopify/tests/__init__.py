from . import test_availability
from . import test_configuration
from . import test_push_events
from . import test_ui
from . import test_order_routing
from . import test_order_import
from . import test_webhook_controller
from . import test_reservation
