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
    EDIT_PROFILE = "edit_profile"  # an institution's people, floor area and baseline year (supervision)


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
    Action.EDIT_PROFILE: frozenset({A}),  # its own figures: a regulator ranks by them, so may not set them
}
UNSCOPED_READERS = frozenset({Role.AUDITOR})
# How a refusal names an action where its value alone would not tell the user who may instead.
REFUSALS: dict[Action, str] = {
    Action.EDIT_PROFILE: "edit an institution's profile (its institution_admin does)",
}


def refusal(role: Role, action: Action) -> str:
    """The 403 message for `role` attempting `action`: the one wording of every role refusal."""
    return f"role {role.value} may not {REFUSALS.get(action, action.value.replace('_', ' '))}"
