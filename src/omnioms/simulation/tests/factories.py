"""A small company for the simulation's tests: one product through two work centres whose
lots take more than a day, one retail channel promising next-day delivery, two days of stock
at the start."""

from __future__ import annotations

from typing import Any

from omnioms.simulation.scenario import Scenario, parse_scenario


def small_scenario(**changes: Any) -> Scenario:
    data: dict[str, Any] = {
        "name": "small",
        "seed": 3,
        "start": "2026-03-01",
        "days": 61,
        "history_days": 240,
        "benchmark_inventory_days": 10,
        "calendar": {
            "weekdays": [1, 2, 3, 4, 5, 6],
            "shifts": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        },
        "work_centers": [
            {
                "code": "A",
                "machines": 2,
                "mtbf_hours": 100,
                "mttr_hours": 1,
                "setup_minutes": 10,
                "speed": 0.95,
                "scrap_rate": 0.01,
            },
            {"code": "B", "machines": 2, "mtbf_hours": 100, "mttr_hours": 1, "speed": 0.95},
        ],
        "suppliers": [{"code": "S", "lead_time_days": 3}],
        "materials": [
            {"code": "M", "unit_cost": 5, "supplier": "S", "min_order": 100, "opening_stock": 2000},
        ],
        "products": [
            {
                "sku": "P1",
                "family": "f",
                "price": 50,
                "unit_cost": 20,
                "opening_stock": 0,
                "min_lot": 20,
                "bom": [{"material": "M", "quantity": 1}],
                "routing": [
                    {"work_center": "A", "minutes_per_unit": 30},
                    {"work_center": "B", "minutes_per_unit": 30},
                ],
                "demand": {"base": 20},
            },
        ],
        "channels": [
            {"code": "shop", "share": 1.0, "promise_days": 1, "order_size": {"mean": 2, "max": 5}}
        ],
        "rhythm": {"noise": 0.1},
    }
    data.update(changes)
    return parse_scenario(data, source="small")
