"""Static tables behind `orchestra demo`: channels, categories, product lines, kits, locations.

Only facts live here; server/demo_plan.py turns them into rows with a seeded generator.
Coordinates are those of the real cities (or districts) named.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from domain.locations.model import LocationKind

Option = tuple[str, str]  # (code used in the SKU, label used in the variant title)


@dataclass(frozen=True, slots=True)
class DemoChannel:
    code: str
    name: str
    currency: str


@dataclass(frozen=True, slots=True)
class ProductLine:
    """A family of similar products: one SKU prefix, one leaf category, one option grid."""

    prefix: str
    category: str
    nouns: tuple[str, ...]
    adjectives: tuple[str, ...]
    blurb: str
    sizes: tuple[Option, ...]
    colours: tuple[Option, ...]
    price_range: tuple[int, int]  # whole dollars; list prices end in .99
    cost_ratio: Decimal
    size_step: Decimal = Decimal(0)  # added per size up the grid (a King sheet costs more)
    store_share: float = 0.3  # chance that a store carries a given variant
    dropship: bool = False  # also stocked by the dropship vendor


@dataclass(frozen=True, slots=True)
class DemoKit:
    title: str
    components: tuple[tuple[str, int], ...]  # (product line prefix, quantity)


@dataclass(frozen=True, slots=True)
class DemoLocation:
    code: str
    name: str
    kind: LocationKind
    latitude: float
    longitude: float
    can_ship: bool
    can_pickup: bool
    daily_capacity: int


SEED = 20240601
PRODUCTS_PER_LINE = 40
MARKETPLACE_MARKUP = Decimal("1.08")
APP_DEAL = Decimal("0.90")

WEB, APP, MARKETPLACE, POS = "web", "app", "marketplace-amazon", "pos"
CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel(WEB, "Web store", "USD"),
    DemoChannel(APP, "Mobile app", "USD"),
    DemoChannel(MARKETPLACE, "Amazon marketplace", "USD"),
    DemoChannel(POS, "Store point of sale", "USD"),
)

# (code, name, parent code); parents come before their children.
CATEGORIES: tuple[tuple[str, str, str | None], ...] = (
    ("apparel", "Apparel", None),
    ("footwear", "Footwear", None),
    ("home", "Home", None),
    ("electronics", "Electronics", None),
    ("outdoor", "Outdoor", None),
    ("bundles", "Bundles", None),
    ("tops", "Tops", "apparel"),
    ("bottoms", "Bottoms", "apparel"),
    ("outerwear", "Outerwear", "apparel"),
    ("sneakers", "Sneakers", "footwear"),
    ("boots", "Boots", "footwear"),
    ("kitchen", "Kitchen", "home"),
    ("bedding", "Bedding", "home"),
    ("audio", "Audio", "electronics"),
    ("accessories", "Accessories", "electronics"),
    ("camping", "Camping", "outdoor"),
)

APPAREL_SIZES: tuple[Option, ...] = (
    ("XS", "XS"),
    ("S", "S"),
    ("M", "M"),
    ("L", "L"),
    ("XL", "XL"),
    ("XXL", "XXL"),
)
WAIST_SIZES: tuple[Option, ...] = tuple((w, f"W{w}") for w in ("28", "30", "32", "34", "36", "38"))
SHOE_SIZES: tuple[Option, ...] = tuple((s, f"US {s}") for s in ("7", "8", "9", "10", "11", "12"))
BED_SIZES: tuple[Option, ...] = (("TW", "Twin"), ("FL", "Full"), ("QN", "Queen"), ("KG", "King"))
SML: tuple[Option, ...] = (("SM", "Small"), ("MD", "Medium"), ("LG", "Large"))

BASICS: tuple[Option, ...] = (
    ("BLK", "Black"),
    ("WHT", "White"),
    ("NVY", "Navy"),
    ("GRY", "Heather Grey"),
    ("OLV", "Olive"),
    ("RED", "Red"),
    ("BLU", "Blue"),
    ("SND", "Sand"),
)
DENIM: tuple[Option, ...] = (
    ("IND", "Indigo"),
    ("RNS", "Rinse"),
    ("LTW", "Light Wash"),
    ("BLK", "Black"),
)
LEATHER: tuple[Option, ...] = (("BRN", "Brown"), ("BLK", "Black"), ("TAN", "Tan"))
TECH: tuple[Option, ...] = (
    ("BLK", "Black"),
    ("WHT", "White"),
    ("GRY", "Space Grey"),
    ("BLU", "Blue"),
    ("GRN", "Sage"),
    ("SLV", "Silver"),
)
HOME: tuple[Option, ...] = (
    ("WHT", "White"),
    ("CHR", "Charcoal"),
    ("SGE", "Sage"),
    ("TRC", "Terracotta"),
    ("OAT", "Oatmeal"),
)

LINES: tuple[ProductLine, ...] = (
    ProductLine(
        "TEE",
        "tops",
        ("Crew Tee", "V-Neck Tee", "Long Sleeve Tee", "Henley", "Pocket Tee"),
        ("Classic", "Organic Cotton", "Vintage Wash", "Heavyweight", "Slub", "Supima"),
        "Pre-shrunk cotton jersey with a relaxed fit.",
        APPAREL_SIZES,
        BASICS,
        (18, 38),
        Decimal("0.32"),
        store_share=0.5,
    ),
    ProductLine(
        "HOD",
        "tops",
        ("Hoodie", "Crewneck Sweatshirt", "Quarter Zip", "Zip Hoodie"),
        ("Fleece", "Brushed", "French Terry", "Everyday", "Oversized"),
        "Midweight fleece that softens with every wash.",
        APPAREL_SIZES,
        BASICS,
        (48, 88),
        Decimal("0.35"),
        store_share=0.45,
    ),
    ProductLine(
        "SHT",
        "tops",
        ("Oxford Shirt", "Flannel Shirt", "Linen Shirt", "Chambray Shirt", "Overshirt"),
        ("Slim", "Regular Fit", "Washed", "Brushed", "Garment-Dyed"),
        "Button-down collar, single-needle stitching.",
        APPAREL_SIZES,
        BASICS,
        (45, 85),
        Decimal("0.34"),
        store_share=0.4,
    ),
    ProductLine(
        "JNS",
        "bottoms",
        ("Slim Jean", "Straight Jean", "Relaxed Jean", "Tapered Jean"),
        ("Selvedge", "Stretch", "Rigid", "Comfort", "Recycled"),
        "Twelve-ounce denim, five pockets, button fly.",
        WAIST_SIZES,
        DENIM,
        (59, 128),
        Decimal("0.36"),
        store_share=0.45,
    ),
    ProductLine(
        "CHN",
        "bottoms",
        ("Chino", "Short", "Jogger", "Cargo Pant"),
        ("Stretch", "Lightweight", "Twill", "Ripstop", "Canvas"),
        "Garment-washed twill with a hidden stretch.",
        WAIST_SIZES,
        BASICS,
        (39, 79),
        Decimal("0.33"),
        store_share=0.4,
    ),
    ProductLine(
        "JKT",
        "outerwear",
        ("Rain Jacket", "Puffer", "Fleece Jacket", "Chore Coat", "Parka"),
        ("Packable", "Insulated", "Waterproof", "Recycled", "Sherpa-Lined"),
        "Windproof shell with taped seams and two-way zip.",
        APPAREL_SIZES,
        BASICS,
        (89, 249),
        Decimal("0.38"),
        store_share=0.35,
    ),
    ProductLine(
        "SNK",
        "sneakers",
        ("Runner", "Court Sneaker", "Trail Runner", "Slip-On", "High-Top"),
        ("Everyday", "Knit", "Leather", "Suede", "Cushioned"),
        "Cushioned foam midsole on a rubber outsole.",
        SHOE_SIZES,
        BASICS,
        (65, 160),
        Decimal("0.40"),
        store_share=0.4,
    ),
    ProductLine(
        "BOT",
        "boots",
        ("Chelsea Boot", "Hiking Boot", "Work Boot", "Duck Boot"),
        ("Waterproof", "Shearling", "Heritage", "Lightweight"),
        "Full-grain leather upper, Goodyear welt, resoleable.",
        SHOE_SIZES,
        LEATHER,
        (120, 260),
        Decimal("0.42"),
        store_share=0.3,
        dropship=True,
    ),
    ProductLine(
        "KTC",
        "kitchen",
        ("Mug Set", "Chef's Knife", "Dutch Oven", "Cutting Board", "Pour-Over Kettle"),
        ("Stoneware", "Enamelled", "Carbon Steel", "Walnut", "Everyday"),
        "Dishwasher-safe and built for daily use.",
        SML,
        HOME,
        (19, 149),
        Decimal("0.40"),
        size_step=Decimal(10),
        store_share=0.2,
    ),
    ProductLine(
        "BED",
        "bedding",
        ("Sheet Set", "Duvet Cover", "Quilt", "Pillowcase Pair"),
        ("Percale", "Sateen", "Linen", "Organic Cotton", "Washed"),
        "Long-staple cotton, deep pockets, OEKO-TEX certified.",
        BED_SIZES,
        HOME,
        (49, 189),
        Decimal("0.35"),
        size_step=Decimal(15),
        store_share=0.15,
    ),
    ProductLine(
        "AUD",
        "audio",
        ("Wireless Earbuds", "Over-Ear Headphones", "Bluetooth Speaker", "Turntable"),
        ("Noise-Cancelling", "Studio", "Portable", "Compact", "Pro"),
        "Thirty-hour battery and USB-C charging.",
        (),
        TECH,
        (29, 299),
        Decimal("0.55"),
        store_share=0.3,
    ),
    ProductLine(
        "ACC",
        "accessories",
        ("USB-C Cable", "Charging Stand", "Power Bank", "Phone Case", "Laptop Sleeve"),
        ("Braided", "MagSafe", "Slim", "Rugged", "Travel"),
        "Tested for 10,000 bends and drops from two metres.",
        (),
        TECH,
        (9, 79),
        Decimal("0.30"),
        store_share=0.35,
    ),
    ProductLine(
        "CMP",
        "camping",
        ("Backpacking Tent", "Sleeping Bag", "Camp Chair", "Daypack", "Headlamp"),
        ("Ultralight", "Three-Season", "Expedition", "Trail", "Basecamp"),
        "Field-tested, with a lifetime repair guarantee.",
        SML,
        (("OLV", "Olive"), ("ORG", "Orange"), ("BLU", "Lake Blue"), ("GRY", "Granite")),
        (49, 399),
        Decimal("0.45"),
        size_step=Decimal(20),
        store_share=0.1,
        dropship=True,
    ),
)

KITS: tuple[DemoKit, ...] = (
    DemoKit("Weekend Essentials Bundle", (("TEE", 2), ("CHN", 1))),
    DemoKit("Layering Bundle", (("TEE", 1), ("HOD", 1), ("JKT", 1))),
    DemoKit("Denim Duo", (("JNS", 2),)),
    DemoKit("Runner's Starter Pack", (("SNK", 1), ("TEE", 2))),
    DemoKit("Commuter Bundle", (("JKT", 1), ("ACC", 1))),
    DemoKit("Cozy Night In Bundle", (("BED", 1), ("KTC", 1))),
    DemoKit("Coffee Lover Gift Set", (("KTC", 2),)),
    DemoKit("Home Office Bundle", (("AUD", 1), ("ACC", 2))),
    DemoKit("Sound and Charge Bundle", (("AUD", 1), ("ACC", 1))),
    DemoKit("Camp Kitchen Bundle", (("CMP", 1), ("KTC", 1))),
    DemoKit("Trail Ready Bundle", (("BOT", 1), ("CMP", 1))),
    DemoKit("Back to Campus Bundle", (("HOD", 1), ("ACC", 1), ("AUD", 1))),
)


WAREHOUSE = LocationKind.WAREHOUSE
THREE_PL = LocationKind.THIRD_PARTY_LOGISTICS
DROPSHIP = LocationKind.DROPSHIP_VENDOR
DARK_STORE = LocationKind.DARK_STORE

# Ship-only sites: (code, name, kind, latitude, longitude, daily capacity).
SHIP_SITES: tuple[tuple[str, str, LocationKind, float, float, int], ...] = (
    ("wh-reno", "Reno fulfillment center", WAREHOUSE, 39.5296, -119.8138, 5000),
    ("wh-columbus", "Columbus fulfillment center", WAREHOUSE, 39.9612, -82.9988, 6000),
    ("wh-dallas", "Dallas fulfillment center", WAREHOUSE, 32.7767, -96.7970, 5000),
    ("wh-allentown", "Allentown fulfillment center", WAREHOUSE, 40.6084, -75.4902, 4500),
    ("3pl-memphis", "Memphis 3PL overflow", THREE_PL, 35.1495, -90.0490, 2500),
    ("vendor-summit-outdoor", "Summit Outdoor, Salt Lake City", DROPSHIP, 40.7608, -111.8910, 400),
    ("dark-queens", "Long Island City dark store", DARK_STORE, 40.7447, -73.9485, 900),
)

# Stores: (code, city, latitude, longitude).
STORES: tuple[tuple[str, str, float, float], ...] = (
    ("store-nyc-soho", "New York SoHo", 40.7233, -74.0030),
    ("store-brooklyn", "Brooklyn", 40.7081, -73.9571),
    ("store-chicago", "Chicago", 41.8781, -87.6298),
    ("store-los-angeles", "Los Angeles", 34.0522, -118.2437),
    ("store-san-francisco", "San Francisco", 37.7749, -122.4194),
    ("store-seattle", "Seattle", 47.6062, -122.3321),
    ("store-portland", "Portland", 45.5152, -122.6784),
    ("store-boston", "Boston", 42.3601, -71.0589),
    ("store-philadelphia", "Philadelphia", 39.9526, -75.1652),
    ("store-washington-dc", "Washington", 38.9072, -77.0369),
    ("store-atlanta", "Atlanta", 33.7490, -84.3880),
    ("store-miami", "Miami", 25.7617, -80.1918),
    ("store-austin", "Austin", 30.2672, -97.7431),
    ("store-denver", "Denver", 39.7392, -104.9903),
    ("store-minneapolis", "Minneapolis", 44.9778, -93.2650),
    ("store-phoenix", "Phoenix", 33.4484, -112.0740),
)
# Flagships in the biggest markets also ship (ship-from-store); the rest only do pickup.
SHIP_FROM_STORE = frozenset(
    {"store-nyc-soho", "store-chicago", "store-los-angeles", "store-seattle"}
)
STORE_CAPACITY = 150

LOCATIONS: tuple[DemoLocation, ...] = tuple(
    DemoLocation(code, name, kind, lat, lon, True, False, capacity)
    for code, name, kind, lat, lon, capacity in SHIP_SITES
) + tuple(
    DemoLocation(
        code,
        f"{city} store",
        LocationKind.STORE,
        lat,
        lon,
        code in SHIP_FROM_STORE,
        True,
        STORE_CAPACITY,
    )
    for code, city, lat, lon in STORES
)
