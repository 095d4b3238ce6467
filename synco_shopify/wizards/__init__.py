from . import shopify_config_transfer
from . import shopify_figure_explanation
