"""Who may do what: one table from action to roles, and the organisation-scope rule.

Scope: every role except the auditor acts only inside the subtree of its organisation node (an
operator at an institution, a regulator at a province, city or district). The auditor reads
everything and writes nothing. The credit buyer has no organisation data to see.
"""

from __future__ import annotations

from enum import Enum

from api.models import Role


class Action(str, Enum):
    READ = "read"  # organisation data: devices, readings, alarms, results, projects, work orders, assets
    MANAGE_DEVICES = "manage_devices"
    SUBMIT_RESULTS = "submit_results"
    VERIFY_RESULTS = "verify_results"
    HANDLE_ALARMS = "handle_alarms"
    MANAGE_WORK_ORDERS = "manage_work_orders"  # raise and assign
    WORK_ON_ORDERS = "work_on_orders"  # respond and complete (as the assignee)
    INSPECT = "inspect"
    MANAGE_ASSETS = "manage_assets"
    CREATE_PROJECTS = "create_projects"
    RELAY_TRANSACTIONS = "relay_transactions"
    APPLY_CERTIFICATION = "apply_for_certification"
    DECIDE_CERTIFICATION = "decide_certifications"
    TRADE_CREDITS = "trade_credits"  # list, buy, retire


A, O, R, V, B = Role.INSTITUTION_ADMIN, Role.OPERATOR, Role.REGULATOR, Role.VERIFIER, Role.CREDIT_BUYER
ALLOWED: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset({A, O, R, V, Role.AUDITOR}),
    Action.MANAGE_DEVICES: frozenset({A}),
    Action.SUBMIT_RESULTS: frozenset({A}),
    Action.VERIFY_RESULTS: frozenset({V, R}),
    Action.HANDLE_ALARMS: frozenset({A, O}),
    Action.MANAGE_WORK_ORDERS: frozenset({A, O}),
    Action.WORK_ON_ORDERS: frozenset({A, O}),
    Action.INSPECT: frozenset({A, O}),
    Action.MANAGE_ASSETS: frozenset({A, O}),
    Action.CREATE_PROJECTS: frozenset({A, O}),
    Action.RELAY_TRANSACTIONS: frozenset({A, O, R, V, B}),
    Action.APPLY_CERTIFICATION: frozenset({A}),
    Action.DECIDE_CERTIFICATION: frozenset({R}),
    Action.TRADE_CREDITS: frozenset({A, B}),
}
UNSCOPED_READERS = frozenset({Role.AUDITOR})
