"""The product catalogue: SKUs in twelve gift-shop categories, prices, costs and popularity.

Popularity follows a Zipf law over a random ranking of the SKUs (weight ``1 / rank ** s``), so a
few SKUs sell every day and most have intermittent demand. Baskets choose SKUs by price band
(see :meth:`Catalog.sample`), so realised order values track the Gamma-Gamma draws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.warehouse.connection import arrow_schema

__all__ = ["CATEGORIES", "SHIPPING_SKU", "Catalog", "Category", "build_catalog"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SHIPPING_SKU = "SHIP-STD"


@dataclass(frozen=True)
class Category:
    """A top-level category: price level, gross margin, typical weight and vocabulary."""

    name: str
    code: str
    median_price: float
    margin: float
    weight_g: float
    subcategories: tuple[str, ...]
    nouns: tuple[str, ...]
    brands: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category("Tea", "TEA", 9.0, 0.62, 150, ("Green tea", "Black tea", "Oolong"),
             ("Jasmine Green Tea", "Earl Grey", "Tieguanyin Oolong", "Pu-erh Cake",
              "Longjing Tea", "English Breakfast"), ("Lotus Leaf", "Two Rivers Tea")),
    Category("Teaware", "TWR", 24.0, 0.55, 600, ("Teapots", "Cups", "Tea sets"),
             ("Porcelain Teapot", "Celadon Cup Set", "Gaiwan", "Glass Infuser", "Tea Tray"),
             ("Jingdezhen Studio", "Lotus Leaf")),
    Category("Candles & Home Fragrance", "CAN", 18.0, 0.60, 450, ("Candles", "Diffusers"),
             ("Soy Candle", "Reed Diffuser", "Incense Set", "Wax Melt Trio"),
             ("Hearth & Wick", "Quiet Lantern")),
    Category("Stationery", "STA", 7.0, 0.58, 120, ("Notebooks", "Cards", "Pens"),
             ("Linen Notebook", "Greeting Card", "Brush Pen Set", "Washi Tape", "Calligraphy Kit"),
             ("Paper Crane", "Ink & Fold")),
    Category("Jewellery", "JEW", 35.0, 0.68, 40, ("Necklaces", "Earrings", "Bracelets"),
             ("Jade Pendant", "Silver Hoop Earrings", "Pearl Bracelet", "Knot Ring"),
             ("Silver Moon", "Jade Garden")),
    Category("Kitchen & Dining", "KIT", 20.0, 0.45, 800, ("Tableware", "Utensils"),
             ("Bamboo Steamer", "Chopstick Set", "Stoneware Bowl", "Serving Board"),
             ("Bamboo & Co", "Hearth & Wick")),
    Category("Toys & Games", "TOY", 16.0, 0.42, 350, ("Puzzles", "Games", "Plush"),
             ("Wooden Puzzle", "Mahjong Set", "Panda Plush", "Kite Kit", "Tangram Set"),
             ("Little Dragon", "Paper Crane")),
    Category("Beauty & Bath", "BTY", 14.0, 0.64, 250, ("Skincare", "Bath"),
             ("Rose Hand Cream", "Bath Salts", "Gua Sha Stone", "Silk Eye Mask"),
             ("Quiet Lantern", "Silk Road Botanics")),
    Category("Home Decor", "DEC", 28.0, 0.50, 900, ("Wall art", "Vases", "Lighting"),
             ("Paper Lantern", "Ceramic Vase", "Silk Fan", "Framed Print"),
             ("Jade Garden", "Jingdezhen Studio")),
    Category("Festive & Seasonal", "FES", 12.0, 0.55, 200, ("Christmas", "Lunar New Year"),
             ("Red Envelope Set", "Bauble Set", "Advent Calendar", "Lantern Garland"),
             ("Little Dragon", "Hearth & Wick")),
    Category("Books & Prints", "BKP", 15.0, 0.35, 500, ("Books", "Prints"),
             ("Cookbook", "Art Print", "Calligraphy Primer", "Travel Guide"),
             ("Ink & Fold", "Two Rivers Press")),
    Category("Textiles", "TEX", 30.0, 0.52, 400, ("Scarves", "Cushions"),
             ("Silk Scarf", "Embroidered Cushion", "Cotton Throw", "Linen Napkins"),
             ("Silk Road Botanics", "Silver Moon")),
)  # fmt: skip

_ADJECTIVES = ("Classic", "Hand-made", "Gift Boxed", "Deluxe", "Mini", "Heritage", "Limited",
               "Everyday", "Celebration", "Organic", "Painted", "Signature")  # fmt: skip
_COLOURS = ("red", "jade", "ivory", "navy", "gold", "black", "pink", "natural")
_MATERIALS = ("porcelain", "bamboo", "silk", "cotton", "paper", "silver", "soy wax", "wood")


@dataclass(frozen=True)
class Catalog:
    """SKUs and the arrays baskets are drawn from (index ``i`` is product ``i``)."""

    skus: pa.Array
    sku_list: tuple[str, ...]
    titles: tuple[str, ...]
    price: FloatArray
    cost: FloatArray
    category: IntArray
    weight: FloatArray
    popularity: FloatArray
    zipf_exponent: float
    _bin_edges: FloatArray
    _bin_cum: FloatArray
    _bin_order: IntArray

    @property
    def n(self) -> int:
        """Number of product SKUs (the shipping SKU excluded)."""
        return int(self.price.size)

    def sample(self, rng: np.random.Generator, unit_target: FloatArray) -> IntArray:
        """Draw a SKU per line near ``unit_target`` in price, by popularity within the band.

        SKUs are grouped into equal-count price bands; the band containing the target is
        chosen, then a SKU within it with probability proportional to its Zipf weight.
        """
        band = np.searchsorted(self._bin_edges, unit_target)
        key = band + rng.random(unit_target.size) * (1 - 1e-9)
        pos = np.searchsorted(self._bin_cum, key, side="left")
        pos = np.clip(pos, 0, self.n - 1)
        return self._bin_order[pos]

    def products_table(self, rng: np.random.Generator, shipping_price: float) -> pa.Table:
        """The ``products`` table (product SKUs plus the shipping SKU)."""
        n = self.n
        cats = [CATEGORIES[i] for i in self.category]
        brand_pick = rng.integers(0, 2, size=n)
        brands = [c.brands[b] for c, b in zip(cats, brand_pick, strict=True)]
        sub_pick = rng.integers(0, 3, size=n)
        subs = [
            c.subcategories[s % len(c.subcategories)] for c, s in zip(cats, sub_pick, strict=True)
        ]
        colour = rng.integers(0, len(_COLOURS), size=n)
        material = rng.integers(0, len(_MATERIALS), size=n)
        quality = rng.random(n)
        descriptions: list[str | None] = []
        for i in range(n):
            if quality[i] < 0.05:
                descriptions.append(None)
            elif quality[i] < 0.15:
                descriptions.append(self.titles[i] + ".")
            else:
                descriptions.append(
                    f"{self.titles[i]} by {brands[i]}, in {_COLOURS[colour[i]]} "
                    f"{_MATERIALS[material[i]]}. Wrapped and ready to give; ships from our UK "
                    "and Shanghai warehouses."
                )
        attributes = [
            json.dumps({"colour": _COLOURS[c], "material": _MATERIALS[m]}, sort_keys=True)
            for c, m in zip(colour, material, strict=True)
        ]
        images = rng.poisson(3.2, size=n)
        images[rng.random(n) < 0.08] = 0
        cols = {
            "sku": [*self.sku_list, SHIPPING_SKU],
            "title": [*self.titles, "Standard shipping"],
            "category": [c.name for c in cats] + [None],
            "subcategory": [*subs, None],
            "brand": [*brands, None],
            "price": [*self.price.tolist(), shipping_price],
            "unit_cost": [*self.cost.tolist(), 0.0],
            "description": [*descriptions, "Standard tracked delivery."],
            "image_count": [*images.tolist(), 0],
            "weight_g": [*self.weight.tolist(), 0.0],
            "item_kind": ["product"] * n + ["shipping"],
            "attributes": [*attributes, "{}"],
        }
        return pa.Table.from_pydict(cols, schema=arrow_schema("products"))


def build_catalog(rng: np.random.Generator, n_products: int, zipf_exponent: float) -> Catalog:
    """Generate ``n_products`` SKUs spread over :data:`CATEGORIES`."""
    n_cat = len(CATEGORIES)
    category = np.sort(np.arange(n_products) % n_cat).astype(np.int64)
    median = np.array([c.median_price for c in CATEGORIES])[category]
    raw = median * np.exp(rng.normal(0.0, 0.5, size=n_products))
    cents = np.where(rng.random(n_products) < 0.8, 0.99, 0.49)
    price = np.round(np.maximum(np.floor(raw), 2.0) + cents, 2)
    margin = np.array([c.margin for c in CATEGORIES])[category]
    margin = np.clip(margin + rng.normal(0.0, 0.06, size=n_products), 0.12, 0.85)
    cost = np.round(price * (1 - margin), 2)
    weight = np.array([c.weight_g for c in CATEGORIES])[category]
    weight = np.round(weight * np.exp(rng.normal(0.0, 0.35, size=n_products)), 0)
    rank = rng.permutation(n_products) + 1
    popularity = 1.0 / rank.astype(np.float64) ** zipf_exponent
    popularity /= popularity.sum()

    counters = np.zeros(n_cat, dtype=np.int64)
    skus: list[str] = []
    titles: list[str] = []
    adj = rng.integers(0, len(_ADJECTIVES), size=n_products)
    noun = rng.integers(0, 1000, size=n_products)
    for i in range(n_products):
        c = CATEGORIES[category[i]]
        counters[category[i]] += 1
        skus.append(f"{c.code}-{counters[category[i]]:04d}")
        titles.append(f"{_ADJECTIVES[adj[i]]} {c.nouns[noun[i] % len(c.nouns)]}")

    # Price bands of (about) equal SKU counts; edges halfway (geometrically) between bands.
    order = np.argsort(price, kind="stable")
    n_bins = max(4, n_products // 12)
    band_of_pos = (np.arange(n_products) * n_bins) // n_products
    sorted_price = price[order]
    last_in_band = np.flatnonzero(np.diff(band_of_pos)) if n_bins > 1 else np.array([], np.int64)
    edges = np.sqrt(sorted_price[last_in_band] * sorted_price[last_in_band + 1])
    w = popularity[order]
    band_tot = np.bincount(band_of_pos, weights=w, minlength=n_bins)
    within = np.cumsum(w) - np.concatenate([[0.0], np.cumsum(band_tot)[:-1]])[band_of_pos]
    cum = band_of_pos + within / band_tot[band_of_pos]
    ends = np.concatenate([last_in_band, [n_products - 1]])
    cum[ends] = band_of_pos[ends] + 1.0
    return Catalog(
        skus=pa.array(skus, pa.string()),
        sku_list=tuple(skus),
        titles=tuple(titles),
        price=price,
        cost=cost,
        category=category,
        weight=weight,
        popularity=popularity,
        zipf_exponent=zipf_exponent,
        _bin_edges=edges.astype(np.float64),
        _bin_cum=cum,
        _bin_order=order.astype(np.int64),
    )
