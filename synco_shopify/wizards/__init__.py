from . import shopify_config_transfer
from . import shopify_figure_explanation
from . import shopify_onboarding_connect
from . import shopify_onboarding
