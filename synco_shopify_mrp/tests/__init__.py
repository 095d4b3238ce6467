from . import test_kits
from . import test_kit_explanation
from . import test_kit_binding
