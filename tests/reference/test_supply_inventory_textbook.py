"""Inventory formulas against the worked examples of Chopra & Meindl.

Chopra, S. & Meindl, P., *Supply Chain Management: Strategy, Planning, and Operation*
(Pearson, 5th/6th ed.). Chapter "Managing Uncertainty in a Supply Chain: Safety Inventory":

* Walmart / Lego: weekly demand N(2,500, 500), lead time 2 weeks, continuous review.
  Policy Q = 10,000, ROP = 6,000 -> safety inventory 1,000, sigma_L = 707, CSL = 0.92,
  ESC = 25.13, fill rate = 0.9975. For CSL 0.90: ss = 906, ROP = 5,906. For a fill rate of
  0.975 with Q = 10,000: ss = 67.
* Walmart / Lego, periodic review every 4 weeks (same demand, L = 2 weeks), CSL 0.90:
  sigma_(T+L) = 1,225, ss = 1,570, order-up-to level = 16,570.
* Dell / Lenovo (lead-time uncertainty): daily demand N(2,500, 500), lead time 7 days with
  standard deviation 7 days, CSL 0.90: sigma_L = 17,550, ss = 22,491.

Chapter "Managing Economies of Scale in a Supply Chain: Cycle Inventory", Best Buy computers:
monthly demand 1,000 (D = 12,000 / year), S = $4,000 per order, C = $500, h = 20% -> EOQ = 980.

Tolerances are the printed precision of each figure.
"""

from __future__ import annotations

import pytest

from shopscope.supply.inventory import (
    cycle_service_level,
    economic_order_quantity,
    expected_shortage,
    fill_rate,
    lead_time_demand_sd,
    order_up_to_level,
    reorder_point,
    safety_stock,
    safety_stock_for_fill_rate,
)


def test_lego_policy_evaluation():
    sd = lead_time_demand_sd(500, 2)
    assert float(sd) == pytest.approx(707, abs=0.5)
    ss = 6_000 - 2_500 * 2
    assert ss == 1_000
    assert float(cycle_service_level(6_000, 5_000, sd)) == pytest.approx(0.92, abs=0.005)
    assert float(expected_shortage(ss, sd)) == pytest.approx(25.13, abs=0.005)
    assert float(fill_rate(ss, sd, 10_000)) == pytest.approx(0.9975, abs=0.00005)


def test_lego_safety_stock_for_a_cycle_service_level():
    assert float(safety_stock(0.90, 500, 2)) == pytest.approx(906, abs=0.5)
    assert float(reorder_point(2_500, 500, 2, 0.90)) == pytest.approx(5_906, abs=0.5)


def test_lego_safety_stock_for_a_fill_rate():
    sd = float(lead_time_demand_sd(500, 2))
    assert safety_stock_for_fill_rate(0.975, sd, 10_000) == pytest.approx(67, abs=0.5)


def test_lego_periodic_review():
    assert float(lead_time_demand_sd(500, 2, review=4)) == pytest.approx(1_225, abs=0.5)
    assert float(safety_stock(0.90, 500, 2, review=4)) == pytest.approx(1_570, abs=0.5)
    assert float(order_up_to_level(2_500, 500, 2, 4, 0.90)) == pytest.approx(16_570, abs=0.5)


def test_dell_lead_time_uncertainty():
    sd = lead_time_demand_sd(500, 7, mean=2_500, lead_time_sd=7)
    assert float(sd) == pytest.approx(17_550, abs=0.5)
    ss = safety_stock(0.90, 500, 7, mean=2_500, lead_time_sd=7)
    assert float(ss) == pytest.approx(22_491, abs=0.5)


def test_best_buy_eoq():
    assert float(economic_order_quantity(12_000, 4_000, 0.2 * 500)) == pytest.approx(980, abs=0.5)
