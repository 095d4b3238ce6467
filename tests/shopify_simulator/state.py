"""In-memory Shopify store state: shops, locations, catalogue, levels, orders.

Plain Python objects (``__slots__`` classes) rather than dicts so that the
GraphQL layer can resolve most fields by attribute name and so that seeding
50 000 variants stays fast.  Everything here is called with the simulator's
single lock held; nothing in this module locks on its own.

Identifiers are numeric and global across shops, like Shopify's: the GraphQL
ID is ``gid://shopify/<Type>/<n>``.  An inventory level has no number of its
own; as in Shopify its GID is ``gid://shopify/InventoryLevel/<location>?
inventory_item_id=<item>``.

Quantities: each level stores ``available``, ``committed``, ``reserved``
and the unavailable states ``damaged``, ``quality_control`` and
``safety_stock``; ``on_hand`` is always their sum, as Shopify defines it, so
the names stay consistent by construction.  An order moves units from
available to committed, a fulfilment takes them out of committed (and so of
on hand), a merchant's edit changes available (and so on hand), and
``inventoryAdjustQuantities`` / ``inventoryMoveQuantities`` change the named
states (``inventory.py``).
"""

import re
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

GID_RE = re.compile(r"^gid://shopify/([A-Za-z]+)/(\d+)(?:\?inventory_item_id=(\d+))?$")


def gid(kind, number):
    return f"gid://shopify/{kind}/{number}"


def parse_gid(value):
    """``gid://shopify/Location/1`` -> ("Location", 1, None); None if invalid."""
    match = GID_RE.match(value or "")
    if not match:
        return None
    extra = match.group(3)
    return match.group(1), int(match.group(2)), int(extra) if extra else None


def iso(ts):
    """Epoch seconds -> Shopify GraphQL DateTime (UTC, second precision)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_iso(ts, tz_name):
    """Epoch seconds -> REST/webhook style timestamp in the shop's time zone."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, ZoneInfo(tz_name)).isoformat(timespec="seconds")


# what a custom app installed for this connector is granted
DEFAULT_SCOPES = (
    "read_inventory",
    "read_locations",
    "read_orders",
    "read_products",
    "write_inventory",
)


class Record:
    """Base for state objects: keyword construction of ``__slots__``."""

    __slots__ = ()

    def __init__(self, **values):
        for name in self.__slots__:
            setattr(self, name, values.pop(name, None))
        if values:
            raise TypeError(f"unknown fields {sorted(values)}")

    def __getstate__(self):
        """Pickled as (slot names, values): loading a million levels then
        holds a tuple per object until the load ends, not a dict of its
        slots (the memory a load takes stays the process's)."""
        slots = type(self).__slots__
        return slots, tuple([getattr(self, name, None) for name in slots])

    def __setstate__(self, state):
        names, values = state
        if names is None:  # pickled before: (None, {slot: value})
            names, values = tuple(values), tuple(values.values())
        slots = type(self).__slots__
        for name, value in zip(names, values, strict=False):
            if name in slots:
                setattr(self, name, value)

    @property
    def legacy_resource_id(self):
        return str(self.number)

    @property
    def id(self):
        return gid(type(self).__name__, self.number)


class Shop(Record):
    __slots__ = (
        "adjustment_groups",
        "bucket",
        "bulk_operations",
        "created_at",
        "currency",
        "domain",
        "email",
        "fulfillment_orders",
        "fulfillments",
        "idempotency",
        "items",
        "items_by_sku",
        "locations",
        "name",
        "number",
        "orders",
        "plan",
        "products",
        "scopes",
        "shipments",
        "timezone",
        "token",
        "transfers",
        "variants",
        "webhook_secret",
        "webhooks",
    )

    def __init__(self, **values):
        super().__init__(**values)
        for name in (
            "locations",
            "products",
            "variants",
            "items",
            "items_by_sku",
            "orders",
            "fulfillment_orders",
            "fulfillments",
            "webhooks",
            "bulk_operations",
            "idempotency",
            "adjustment_groups",
            "transfers",
            "shipments",
        ):
            setattr(self, name, {})

    def location_named(self, name_or_id):
        for location in self.locations.values():
            if name_or_id in (location.name, location.id, location.number):
                return location
        raise KeyError(f"no location {name_or_id!r} in {self.domain}")

    def item_for(self, sku_or_item):
        """An inventory item from its SKU, GID or number."""
        if isinstance(sku_or_item, InventoryItem):
            return sku_or_item
        if isinstance(sku_or_item, int):
            return self.items[sku_or_item]
        parsed = parse_gid(sku_or_item)
        if parsed and parsed[0] == "InventoryItem":
            return self.items[parsed[1]]
        items = self.items_by_sku.get(sku_or_item.lower())
        if not items:
            raise KeyError(f"no SKU {sku_or_item!r} in {self.domain}")
        return items[0]


class Location(Record):
    __slots__ = (
        "address",
        "created_at",
        "fulfills_online_orders",
        "fulfillment_service",
        "is_active",
        "levels",
        "name",
        "number",
        "updated_at",
    )

    def __init__(self, **values):
        super().__init__(**values)
        self.levels = {}  # item number -> Level

    @property
    def deactivated_at(self):
        return None if self.is_active else iso(self.updated_at)

    activatable = property(lambda self: not self.is_active)
    deactivatable = property(lambda self: self.is_active)
    deletable = property(lambda self: not self.is_active)
    has_active_inventory = property(lambda self: bool(self.levels))
    ships_inventory = property(lambda self: self.is_active)

    @property
    def is_fulfillment_service(self):
        """Run by a fulfilment service (a 3PL app): ``fulfillment_service``
        holds its name (states saved before it have no such slot)."""
        return bool(getattr(self, "fulfillment_service", None))


class Product(Record):
    __slots__ = (
        "created_at",
        "handle",
        "number",
        "product_type",
        "status",
        "title",
        "updated_at",
        "variants",
        "vendor",
    )

    tracks_inventory = True


class Variant(Record):
    __slots__ = (
        "barcode",
        "created_at",
        "item",
        "number",
        "position",
        "price",
        "product",
        "sku",
        "title",
        "updated_at",
    )

    @property
    def id(self):
        return gid("ProductVariant", self.number)

    @property
    def display_name(self):
        return f"{self.product.title} - {self.title}"

    @property
    def inventory_quantity(self):
        return sum(level.available for level in self.item.levels.values())


class InventoryItem(Record):
    __slots__ = (
        "bundle_parent",
        "created_at",
        "levels",
        "number",
        "sku",
        "tracked",
        "updated_at",
        "variant",
    )

    def __init__(self, **values):
        values.setdefault("bundle_parent", False)
        super().__init__(**values)
        self.levels = {}  # location number -> Level

    requires_shipping = True


# the stored states of a level (``on_hand`` is their sum); ``incoming`` (units
# of shipments in transit to the location, transfers.py) is not on hand
STORED_STATES = (
    "available",
    "committed",
    "damaged",
    "quality_control",
    "reserved",
    "safety_stock",
)
UNAVAILABLE_STATES = ("damaged", "quality_control", "safety_stock")


class Level(Record):
    __slots__ = (
        "available",
        "committed",
        "created_at",
        "damaged",
        "incoming",
        "item",
        "location",
        "quality_control",
        "reserved",
        "safety_stock",
        "updated_at",
    )

    @property
    def id(self):
        return (
            f"gid://shopify/InventoryLevel/{self.location.number}"
            f"?inventory_item_id={self.item.number}"
        )

    @property
    def on_hand(self):
        # the stored states' sum (a level pickled before a state was
        # modelled has none of it): read directly, a bulk export asks
        # a million levels
        return (
            (self.available or 0)
            + (self.committed or 0)
            + (getattr(self, "damaged", None) or 0)
            + (getattr(self, "quality_control", None) or 0)
            + (getattr(self, "reserved", None) or 0)
            + (getattr(self, "safety_stock", None) or 0)
        )

    def quantity(self, name):
        """A named quantity (``incoming`` is not part of ``on_hand``)."""
        if name == "on_hand":
            return self.on_hand
        if name == "incoming":
            return getattr(self, "incoming", None) or 0
        if name in STORED_STATES:
            # a level pickled before a state was modelled has none of it
            return getattr(self, name, None) or 0
        return 0

    def change(self, name, delta):
        """Add ``delta`` to a stored state (``on_hand`` follows) or to
        ``incoming``."""
        setattr(self, name, self.quantity(name) + delta)

    def as_dict(self):
        """available, committed, on_hand, and the other states held (> 0)."""
        states = {
            "available": self.available,
            "committed": self.committed,
            "on_hand": self.on_hand,
        }
        for name in ("reserved", *UNAVAILABLE_STATES, "incoming"):
            if self.quantity(name):
                states[name] = self.quantity(name)
        return states

    is_active = True
    can_deactivate = True


class Order(Record):
    __slots__ = (
        "cancel_reason",
        "cancelled_at",
        "created_at",
        "currency",
        "customer",
        "email",
        "fulfillment_orders",
        "fulfillments",
        "lines",
        "note",
        "number",
        "order_number",
        "phone",
        "refunds",
        "retail_location",
        "shipping_address",
        "source_name",
        "tags",
        "updated_at",
    )

    @property
    def name(self):
        return f"#{self.order_number}"

    @property
    def closed_at(self):
        return self.cancelled_at  # cancelling closes an order

    @property
    def total(self):
        return sum(line.price * line.quantity for line in self.lines)


class LineItem(Record):
    __slots__ = (
        "location",
        "number",
        "order",
        "price",
        "quantity",
        "removed",
        "variant",
    )

    sku = property(lambda self: self.variant.sku)
    title = property(lambda self: self.variant.product.title)
    variant_title = property(lambda self: self.variant.title)
    name = property(lambda self: self.variant.display_name)

    @property
    def current_quantity(self):
        """Ordered minus what edits and refunds removed (0 once cancelled)."""
        if self.order.cancelled_at:
            return 0
        return self.quantity - (self.removed or 0)

    @property
    def fulfilled_quantity(self):
        return sum(
            fo_line.fulfilled or 0
            for fo in self.order.fulfillment_orders
            for fo_line in fo.lines
            if fo_line.line is self
        )

    @property
    def unfulfilled_quantity(self):
        return max(0, self.current_quantity - self.fulfilled_quantity)


class FulfillmentOrder(Record):
    """The lines of an order assigned to one location.

    ``state`` is OPEN, IN_PROGRESS (partly fulfilled, or progress reported),
    CLOSED (everything fulfilled, or replaced by a move) or CANCELLED;
    ``progress_reported`` is the merchant's "mark as in progress", which
    Shopify refuses to move.
    """

    __slots__ = (
        "delivery_method",
        "lines",
        "location",
        "number",
        "order",
        "prepared_for_pickup",
        "progress_reported",
        "state",
        "updated",
    )

    created_at = property(lambda self: self.order.created_at)
    order_id = property(lambda self: self.order.id)
    order_name = property(lambda self: self.order.name)

    @property
    def updated_at(self):
        return self.updated or self.order.updated_at

    @property
    def status(self):
        if self.order.cancelled_at and self.state in ("OPEN", "IN_PROGRESS"):
            return "CLOSED"
        return self.state or "OPEN"

    @property
    def assigned_location(self):
        address = self.location.address
        return {
            "location": self.location,
            "name": self.location.name,
            "countryCode": address.get("countryCode"),
            **{
                key: address.get(key)
                for key in ("address1", "address2", "city", "province", "zip", "phone")
            },
        }


class FulfillmentOrderLineItem(Record):
    """One order line's share of a fulfilment order: ``total`` assigned here,
    ``fulfilled`` of them shipped."""

    __slots__ = ("fulfilled", "line", "number", "total")

    line_item = property(lambda self: self.line)
    sku = property(lambda self: self.line.sku)
    variant = property(lambda self: self.line.variant)
    variant_title = property(lambda self: self.line.variant_title)
    product_title = property(lambda self: self.line.title)
    vendor = property(lambda self: self.line.variant.product.vendor)
    inventory_item_id = property(lambda self: self.line.variant.item.id)
    total_quantity = property(lambda self: self.total)
    requires_shipping = True

    @property
    def remaining_quantity(self):
        if self.line.order.cancelled_at:
            return 0
        return max(0, (self.total or 0) - (self.fulfilled or 0))


class Fulfillment(Record):
    """Shipped units of fulfilment orders of one location, with tracking."""

    __slots__ = (
        "created_at",
        "fulfillment_orders",
        "lines",
        "location",
        "notify_customer",
        "number",
        "order",
        "status",
        "tracking",
    )

    updated_at = property(lambda self: self.created_at)
    total_quantity = property(lambda self: sum(q for _line, q in self.lines))

    @property
    def name(self):
        return f"{self.order.name}-F{self.order.fulfillments.index(self) + 1}"


class DeliveryMethod(Record):
    """How a fulfilment order reaches the customer: SHIPPING, PICK_UP, LOCAL,
    RETAIL (sold at the counter) ..."""

    __slots__ = ("method_type", "number")


class Refund(Record):
    """Money given back for line items, their units restocked or not."""

    __slots__ = ("created_at", "lines", "number", "order")

    updated_at = property(lambda self: self.created_at)


class RefundLineItem(Record):
    """``restock_type`` RETURN (restocked at ``location``), NO_RESTOCK, CANCEL."""

    __slots__ = ("line", "location", "number", "quantity", "restock_type")

    line_item = property(lambda self: self.line)
    restocked = property(lambda self: self.restock_type in ("RETURN", "CANCEL"))


class FulfillmentLineItem(Record):
    __slots__ = ("line", "number", "quantity")

    line_item = property(lambda self: self.line)


class WebhookSubscription(Record):
    __slots__ = (
        "api_version",
        "created_at",
        "filter",
        "format",
        "include_fields",
        "name",
        "number",
        "topic",
        "updated_at",
        "uri",
    )


class BulkOperation(Record):
    __slots__ = (
        "client_identifier",
        "completed_at",
        "created_at",
        "error_code",
        "finished",
        "jsonl",
        "number",
        "object_count",
        "polls",
        "query",
        "root_object_count",
        "status",
        "type",
    )


class AdjustmentGroup(Record):
    __slots__ = (
        "changes",
        "created_at",
        "number",
        "reason",
        "reference_document_uri",
    )

    @property
    def id(self):
        return gid("InventoryAdjustmentGroup", self.number)


class Change(Record):
    __slots__ = (
        "delta",
        "item",
        "ledger_document_uri",
        "location",
        "name",
        "quantity_after_change",
    )


class Store:
    """All shops of one simulator, plus the global ID counter."""

    def __init__(self):
        self.shops = {}
        self.last_id = 0

    def next_id(self):
        self.last_id += 1
        return self.last_id

    def reserve_ids(self, above):
        """Make sure later IDs are larger than ``above`` (fixtures pick IDs)."""
        self.last_id = max(self.last_id, above)

    def shop(self, domain_or_shop):
        if isinstance(domain_or_shop, Shop):
            return domain_or_shop
        if domain_or_shop is None and len(self.shops) == 1:
            return next(iter(self.shops.values()))
        try:
            return self.shops[domain_or_shop]
        except KeyError:
            raise KeyError(f"no shop {domain_or_shop!r}") from None

    def shop_for_token(self, token):
        for shop in self.shops.values():
            if token and shop.token == token:
                return shop
        return None

    # -- builders -----------------------------------------------------------------

    def add_shop(
        self,
        domain,
        name=None,
        token=None,
        webhook_secret=None,
        currency="USD",
        timezone_name="UTC",
        email=None,
        plan="Basic",
    ):
        if domain in self.shops:
            raise ValueError(f"shop {domain} exists")
        now = time.time()
        shop = Shop(
            number=self.next_id(),
            domain=domain,
            name=name or domain,
            token=token or f"shpat_{domain.split('.')[0]}",
            webhook_secret=webhook_secret or f"{domain}-secret",
            currency=currency,
            timezone=timezone_name,
            email=email or f"owner@{domain}",
            plan=plan,
            created_at=now,
            scopes=list(DEFAULT_SCOPES),
        )
        self.shops[domain] = shop
        return shop

    def add_location(
        self,
        shop,
        name,
        number=None,
        is_active=True,
        fulfills_online_orders=True,
        address=None,
        fulfillment_service=None,
    ):
        shop = self.shop(shop)
        if number is None:
            number = self.next_id()
        else:
            self.reserve_ids(number)
        now = time.time()
        address = dict(address or {})
        for key in (
            "address1",
            "address2",
            "city",
            "province",
            "provinceCode",
            "country",
            "countryCode",
            "zip",
            "phone",
        ):
            address.setdefault(key, None)
        location = Location(
            number=number,
            name=name,
            is_active=is_active,
            fulfills_online_orders=fulfills_online_orders,
            fulfillment_service=fulfillment_service,
            address=address,
            created_at=now,
            updated_at=now,
        )
        shop.locations[number] = location
        return location

    def add_product(
        self, shop, title, skus, price="25.00", vendor="Synco", product_type=""
    ):
        """A product with one variant per SKU; returns the product."""
        shop = self.shop(shop)
        now = time.time()
        product = Product(
            number=self.next_id(),
            title=title,
            vendor=vendor,
            handle=re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
            product_type=product_type,
            status="ACTIVE",
            variants=[],
            created_at=now,
            updated_at=now,
        )
        shop.products[product.number] = product
        for position, sku in enumerate(skus, 1):
            item = InventoryItem(
                number=self.next_id(),
                sku=sku,
                tracked=True,
                created_at=now,
                updated_at=now,
            )
            title_ = sku if len(skus) > 1 else "Default Title"
            variant = Variant(
                number=self.next_id(),
                product=product,
                sku=sku,
                title=title_,
                price=str(price),
                barcode=None,
                item=item,
                position=position,
                created_at=now,
                updated_at=now,
            )
            item.variant = variant
            product.variants.append(variant)
            shop.variants[variant.number] = variant
            shop.items[item.number] = item
            shop.items_by_sku.setdefault(sku.lower(), []).append(item)
        return product

    def stock(self, shop, item, location, available=0):
        """Create (or return) the level of ``item`` at ``location``."""
        level = item.levels.get(location.number)
        if level is None:
            now = time.time()
            level = Level(
                item=item,
                location=location,
                available=available,
                committed=0,
                created_at=now,
                updated_at=now,
            )
            item.levels[location.number] = level
            location.levels[item.number] = level
        return level

    def levels(self, shop):
        shop = self.shop(shop)
        result = {}
        for item in shop.items.values():
            for level in item.levels.values():
                result[(item.sku, level.location.name)] = level.as_dict()
        return result
