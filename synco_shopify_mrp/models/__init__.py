from . import mrp_bom
from . import mrp_bom_line
from . import shopify_location_mapping
from . import shopify_product_binding
from . import product_product
