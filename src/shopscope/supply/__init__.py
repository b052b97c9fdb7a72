"""Supply chain: assortment, demand forecasting, inventory policy, routing and picking.

Subpackages: ``forecast`` (demand series and forecasts), ``inventory`` (safety stock, reorder
points, purchase-order suggestions, policy simulation), ``assortment``, ``routing`` and
``warehousing``. Import what you need from the subpackage itself.
"""

__all__: list[str] = []
