"""Roles as Django groups, and the permissions each one holds.

Groups are (re)built after every ``migrate`` from this table, so a new permission reaches
every installation with the release that introduces it. Object-level rules (a store clerk
sees only their store's orders) live in the selectors that every view and API call uses.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role:
    ADMINISTRATOR = "administrator"
    MANAGER = "manager"
    ORDER_CLERK = "order_clerk"
    STORE_CLERK = "store_clerk"
    CUSTOMER_SERVICE = "customer_service"
    PLANNER = "planner"
    SUPERVISOR = "supervisor"


ROLE_LABELS = {
    Role.ADMINISTRATOR: _("Administrator"),
    Role.MANAGER: _("Manager"),
    Role.ORDER_CLERK: _("Order clerk"),
    Role.STORE_CLERK: _("Store clerk"),
    Role.CUSTOMER_SERVICE: _("Customer service agent"),
    Role.PLANNER: _("Production planner"),
    Role.SUPERVISOR: _("Supervisor"),
}

_SEE_ORDERS = ["orders.view_order", "orders.view_all_orders", "customers.view_customer"]
# A note on an order's timeline; moving its status or shipping it is orders.change_order.
_NOTE = "orders.add_order_note"
_SEE_CATALOG = ["catalog.view_product", "catalog.view_sku", "core.view_location"]
_SEE_STOCK = [
    "inventory.view_stockbalance",
    "inventory.view_all_stock",
    "inventory.view_stockmovement",
    "inventory.view_orderstock",
]
_PLAN_SUPPLY = [
    "inventory.view_incomingstock",
    "inventory.add_incomingstock",
    "inventory.change_incomingstock",
    "inventory.view_plannedoutput",
    "inventory.add_plannedoutput",
    "inventory.change_plannedoutput",
]
# Demand and supply planning: forecasts, the event calendar, the sales input, requirements runs
# and releasing what they propose; long runs are jobs the planner watches and may cancel.
_PLAN_DEMAND = [
    "core.view_job",
    "core.change_job",
    "forecasting.view_demandday",
    "forecasting.view_forecastrun",
    "forecasting.add_forecastrun",
    "forecasting.change_rollingschedule",
    "forecasting.view_forecastfigure",
    "forecasting.view_demandevent",
    "forecasting.add_demandevent",
    "forecasting.change_demandevent",
    "forecasting.delete_demandevent",
    "forecasting.view_salesinput",
    "forecasting.add_salesinput",
    "forecasting.change_salesinput",
    "forecasting.delete_salesinput",
    "planning.view_requirementsrun",
    "planning.add_requirementsrun",
    "planning.view_plannedorder",
    "planning.change_plannedorder",
    "planning.view_productionorder",
    "planning.add_productionorder",
    "simulation.view_simulationrun",
    "simulation.add_simulationrun",
]
_MANAGE_STOCK = [
    "inventory.receive_stock",
    "inventory.adjust_stock",
    "inventory.transfer_stock",
    "inventory.change_stockbalance",
    "inventory.view_channelstockrule",
    "inventory.add_channelstockrule",
    "inventory.change_channelstockrule",
    "inventory.view_rulelocation",
    "inventory.add_rulelocation",
    "inventory.change_rulelocation",
    "inventory.delete_rulelocation",
    "inventory.view_availabilityoutbox",
]
_SEE_PRODUCTION = [
    "production.view_supplier",
    "production.view_supplyterm",
    "production.view_calendar",
    "production.view_shift",
    "production.view_shiftbreak",
    "production.view_calendarday",
    "production.view_workcenter",
    "production.view_setuptime",
    "production.view_bom",
    "production.view_bomline",
    "production.view_routing",
    "production.view_routingoperation",
]
# Planners and managers keep the production master data. No delete: lines and rows are replaced
# with their version or calendar, and versions are archived rather than deleted.
_KEEP_PRODUCTION = [
    *_SEE_PRODUCTION,
    "production.add_supplier",
    "production.change_supplier",
    "production.add_supplyterm",
    "production.change_supplyterm",
    "production.add_calendar",
    "production.change_calendar",
    "production.add_shift",
    "production.change_shift",
    "production.add_shiftbreak",
    "production.change_shiftbreak",
    "production.add_calendarday",
    "production.change_calendarday",
    "production.add_workcenter",
    "production.change_workcenter",
    "production.add_setuptime",
    "production.change_setuptime",
    "production.add_bom",
    "production.change_bom",
    "production.add_bomline",
    "production.change_bomline",
    "production.add_routing",
    "production.change_routing",
    "production.add_routingoperation",
    "production.change_routingoperation",
]
# The schedule: planning runs, plans and the Gantt chart, production orders by priority and the
# planner's weights; PMC proposes rush orders (a planner), production decides them
# (a supervisor or a manager); sales request them and read promise dates.
_SCHEDULE = [
    "planning.view_plan",
    "planning.add_plan",
    "planning.change_plan",
    "planning.publish_plan",
    "planning.view_plannedoperation",
    "planning.view_productionorder",
    "planning.view_planningsettings",
    "planning.change_planningsettings",
    "planning.view_rushrequest",
    "planning.add_rushrequest",
    "planning.propose_rushrequest",
]
_SEE_SCHEDULE = [
    "planning.view_plan",
    "planning.view_plannedoperation",
    "planning.view_productionorder",
    "planning.view_rushrequest",
]
_DECIDE_RUSH = ["planning.decide_rushrequest"]
_ASK_RUSH = ["planning.view_rushrequest", "planning.add_rushrequest"]
# The shop floor: supervisors report jobs, issue material and work exceptions; verifying and
# closing an exception is a supervisor's or manager's; everyone who plans sees the KPIs.
_SEE_FLOOR = [
    "floor.view_operationreport",
    "floor.view_dailyclose",
    "floor.view_floorexception",
    "floor.view_kpi_dashboard",
]
_RUN_FLOOR = [
    *_SEE_FLOOR,
    "floor.report_operation",
    "floor.issue_material",
    "floor.run_daily_close",
    "floor.work_exception",
    "floor.verify_exception",
]
_CONFIGURE_FLOOR = [
    "floor.change_kpitargets",
    "floor.view_exceptiontype",
    "floor.add_exceptiontype",
    "floor.change_exceptiontype",
    "floor.add_inventorybenchmark",
    "floor.view_inventorybenchmark",
]
# Managers shape each channel's order flow and publish new versions of it.
_SHAPE_FLOWS = [
    "flows.view_flow",
    "flows.add_flow",
    "flows.change_flow",
    "flows.publish_flow",
    "flows.view_flowversion",
]
# A store clerk: their own store's stock only (no view_all_stock); receipts, counts, transfers.
_STORE_STOCK = [
    "inventory.view_stockbalance",
    "inventory.view_stockmovement",
    "inventory.view_orderstock",
    "inventory.receive_stock",
    "inventory.adjust_stock",
    "inventory.transfer_stock",
]

# Selling by people (omnioms.sales): the store counter takes payments and issues invoices;
# inquiries and quotes are social selling; a manager approves a quote's deep discount.
_COUNTER = [
    "sales.sell_at_counter",
    "sales.view_payment",
    "sales.add_payment",
    "sales.view_invoice",
    "sales.add_invoice",
]
_QUOTE = [
    "sales.view_inquiry",
    "sales.add_inquiry",
    "sales.change_inquiry",
    "sales.view_quote",
    "sales.add_quote",
    "sales.change_quote",
    "sales.view_invoice",
    "sales.add_invoice",
    "sales.view_payment",
    "sales.add_payment",
]
# Customer service: tickets answered, noted, changed and merged; phone calls and store visits
# logged; canned replies used. Order actions (refund, return, ...) are the flows' permissions.
_SERVICE = [
    "service.view_ticket",
    "service.add_ticket",
    "service.change_ticket",
    "service.answer_ticket",
    "service.view_cannedreply",
    "service.view_servicedeadletter",
]
# Running the service desk: sources, teams, rules, SLA policies, canned replies, the dashboard.
_RUN_SERVICE = [
    *_SERVICE,
    "service.view_service_dashboard",
    "service.view_source",
    "service.add_source",
    "service.change_source",
    "service.view_team",
    "service.add_team",
    "service.change_team",
    "service.view_assignmentrule",
    "service.add_assignmentrule",
    "service.change_assignmentrule",
    "service.delete_assignmentrule",
    "service.view_slapolicy",
    "service.add_slapolicy",
    "service.change_slapolicy",
    "service.add_cannedreply",
    "service.change_cannedreply",
    "service.delete_cannedreply",
]

# "app_label.codename" permissions per role; "*" means every permission.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.ADMINISTRATOR: ["*"],
    Role.MANAGER: [
        *_SEE_ORDERS,
        *_SEE_CATALOG,
        *_SEE_STOCK,
        *_PLAN_SUPPLY,
        *_PLAN_DEMAND,
        *_MANAGE_STOCK,
        "orders.change_order",
        _NOTE,
        "orders.add_order",
        "orders.import_orders",
        "channels.view_channelaccount",
        "channels.add_channelaccount",
        "channels.change_channelaccount",
        "channels.view_deadletter",
        "channels.replay_deadletter",
        "channels.dismiss_deadletter",
        "channels.view_channel_health",
        "channels.configure_column_mapping",
        "core.manage_staff",
        "customers.change_customer",
        "catalog.add_product",
        "catalog.change_product",
        "catalog.add_sku",
        "catalog.change_sku",
        *_KEEP_PRODUCTION,
        *_SCHEDULE,
        *_DECIDE_RUSH,
        *_COUNTER,
        *_QUOTE,
        "sales.approve_quote",
        *_RUN_SERVICE,
        *_RUN_FLOOR,
        *_CONFIGURE_FLOOR,
        *_SHAPE_FLOWS,
    ],
    Role.ORDER_CLERK: [
        *_SEE_ORDERS,
        *_SEE_CATALOG,
        *_SEE_STOCK,
        "orders.add_order",
        "orders.change_order",
        _NOTE,
        "orders.import_orders",
        "channels.view_deadletter",
        "channels.replay_deadletter",
        "channels.dismiss_deadletter",
        "channels.view_channel_health",
        *_ASK_RUSH,
        *_QUOTE,
    ],
    # No view_all_orders: a store clerk sees only the orders of the store on their profile.
    Role.STORE_CLERK: [
        "orders.view_order",
        "orders.add_order",
        "orders.change_order",
        _NOTE,
        "customers.view_customer",
        *_SEE_CATALOG,
        *_STORE_STOCK,
        *_COUNTER,
    ],
    Role.CUSTOMER_SERVICE: [
        *_SEE_ORDERS,
        *_SEE_STOCK,
        _NOTE,
        "customers.change_customer",
        *_QUOTE,
        "orders.add_order",  # a quote accepted becomes an order
        *_ASK_RUSH,
        *_SERVICE,
        *_SEE_FLOOR,
        "floor.work_exception",  # a T-3 loop closes when the customer agrees a new date
    ],
    # change_sku: a planner marks SKUs made, bought or resold, with their stock unit.
    Role.PLANNER: [
        *_SEE_ORDERS,
        *_SEE_CATALOG,
        *_SEE_STOCK,
        *_PLAN_SUPPLY,
        *_KEEP_PRODUCTION,
        *_PLAN_DEMAND,
        "catalog.change_sku",
        *_SCHEDULE,
        *_SEE_FLOOR,
        "floor.work_exception",
    ],
    Role.SUPERVISOR: [
        *_SEE_ORDERS,
        *_SEE_CATALOG,
        *_SEE_STOCK,
        _NOTE,
        *_SEE_PRODUCTION,
        "channels.view_channel_health",
        *_SEE_SCHEDULE,
        *_DECIDE_RUSH,
        *_RUN_FLOOR,
        "core.view_job",
    ],
}


def sync_roles(**_: Any) -> None:
    """Create or update one group per role with exactly the permissions of the table."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        if names == ["*"]:
            group.permissions.set(Permission.objects.all())
            continue
        query = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            query |= Q(content_type__app_label=app_label, codename=codename)
        permissions = list(Permission.objects.filter(query))
        found = {f"{p.content_type.app_label}.{p.codename}" for p in permissions}
        missing = set(names) - found
        if missing:
            raise LookupError(f"role {role} names unknown permissions: {sorted(missing)}")
        group.permissions.set(permissions)
