from . import shopify_shop
from . import shopify_location
from . import shopify_product_binding
from . import shopify_location_mapping
from . import shopify_location_mapping_source
from . import shopify_buffer_rule
from . import res_config_settings
