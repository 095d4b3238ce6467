from . import test_availability
from . import test_configuration
