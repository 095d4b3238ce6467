from . import shopify_location_mapping
from . import stock_lot
