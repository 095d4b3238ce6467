from . import shopify_config_transfer
