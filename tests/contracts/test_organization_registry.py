"""OrganizationRegistry: the node tree, its kind rules, subtree admins and moves."""

from __future__ import annotations

import pytest
from brownie import OrganizationRegistry, ZERO_ADDRESS

from conftest import NodeKind

DEFAULT_ADMIN_ROLE = b"\x00" * 32

# IOrganizationRegistry.NodeKind's table of allowed parent → child kinds.
ALLOWED_CHILDREN = {
    NodeKind.REGION: {NodeKind.REGION, NodeKind.INSTITUTION},
    NodeKind.INSTITUTION: {NodeKind.PARK, NodeKind.BUILDING, NodeKind.FLOOR, NodeKind.ROOM},
    NodeKind.PARK: {NodeKind.BUILDING, NodeKind.FLOOR, NodeKind.ROOM},
    NodeKind.BUILDING: {NodeKind.FLOOR, NodeKind.ROOM},
    NodeKind.FLOOR: {NodeKind.ROOM},
    NodeKind.ROOM: set(),
}


@pytest.fixture
def fresh_org(governance):
    """A registry with no nodes yet (the module's `org` already holds the fixture tree)."""
    return OrganizationRegistry.deploy(governance, {"from": governance})


def _node(org, node_id):
    parent_id, kind, depth, name = org.nodeOf(node_id)
    return {"parentId": parent_id, "kind": kind, "depth": depth, "name": name}


# --- deployment and roots ---------------------------------------------------------------


def test_governance_holds_default_admin_role(fresh_org, governance, stranger):
    assert fresh_org.hasRole(DEFAULT_ADMIN_ROLE, governance)
    assert not fresh_org.hasRole(DEFAULT_ADMIN_ROLE, stranger)
    assert fresh_org.nodeCount() == 0


def test_governance_can_be_handed_over(org, governance, stranger, province_admin, reverts_with):
    org.grantRole(DEFAULT_ADMIN_ROLE, stranger, {"from": governance})
    org.renounceRole(DEFAULT_ADMIN_ROLE, governance, {"from": governance})
    org.createRoot(NodeKind.REGION, "New province", province_admin, {"from": stranger})
    with reverts_with("AccessControlUnauthorizedAccount", governance, DEFAULT_ADMIN_ROLE):
        org.createRoot(NodeKind.REGION, "Old governance", province_admin, {"from": governance})


def test_registry_advertises_access_control(org):
    assert org.supportsInterface("0x7965db0b")  # IAccessControl
    assert org.supportsInterface("0x01ffc9a7")  # IERC165
    assert not org.supportsInterface("0xffffffff")


def test_zero_governance_is_rejected(governance, reverts_with):
    with reverts_with("ZeroAddress"):
        OrganizationRegistry.deploy(ZERO_ADDRESS, {"from": governance})


def test_create_root_records_node_and_first_admin(fresh_org, governance, province_admin, expect_event):
    org = fresh_org
    tx = org.createRoot(NodeKind.REGION, "Province", province_admin, {"from": governance})
    assert tx.return_value == 1
    expect_event(tx, "NodeCreated", nodeId=1, parentId=0, kind=NodeKind.REGION, name="Province")
    expect_event(tx, "NodeAdminAdded", nodeId=1, account=province_admin, by=governance)
    assert _node(org, 1) == {"parentId": 0, "kind": NodeKind.REGION, "depth": 0, "name": "Province"}
    assert org.isDirectAdmin(1, province_admin)
    assert org.nodeCount() == 1


def test_institution_may_be_a_root(org, governance, institution_admin):
    tx = org.createRoot(NodeKind.INSTITUTION, "Stand-alone school", institution_admin, {"from": governance})
    assert org.institutionOf(tx.return_value) == tx.return_value


@pytest.mark.parametrize("kind", [NodeKind.PARK, NodeKind.BUILDING, NodeKind.FLOOR, NodeKind.ROOM])
def test_scene_root_is_rejected(org, governance, province_admin, kind, reverts_with):
    with reverts_with("InvalidRootKind", kind):
        org.createRoot(kind, "Scene", province_admin, {"from": governance})


def test_only_governance_creates_roots(org, tree, province_admin, reverts_with):
    with reverts_with("AccessControlUnauthorizedAccount", province_admin, DEFAULT_ADMIN_ROLE):
        org.createRoot(NodeKind.REGION, "Rogue province", province_admin, {"from": province_admin})


def test_root_with_zero_admin_is_rejected(org, governance, reverts_with):
    with reverts_with("ZeroAddress"):
        org.createRoot(NodeKind.REGION, "Province", ZERO_ADDRESS, {"from": governance})


def test_root_with_empty_name_is_rejected(org, governance, province_admin, reverts_with):
    with reverts_with("EmptyName"):
        org.createRoot(NodeKind.REGION, "", province_admin, {"from": governance})


# --- children and kinds ---------------------------------------------------------------------


def test_fixture_tree_has_expected_shape(org, tree):
    assert org.nodeCount() == 7
    expected = {
        tree.province: (0, NodeKind.REGION, 0, "Province"),
        tree.city: (tree.province, NodeKind.REGION, 1, "City"),
        tree.district: (tree.city, NodeKind.REGION, 2, "District"),
        tree.institution: (tree.district, NodeKind.INSTITUTION, 3, "Institution"),
        tree.building: (tree.institution, NodeKind.BUILDING, 4, "Building"),
        tree.room: (tree.building, NodeKind.ROOM, 5, "Room"),
        tree.other_district: (tree.city, NodeKind.REGION, 2, "Other district"),
    }
    for node_id, record in expected.items():
        assert tuple(org.nodeOf(node_id)) == record


def test_create_node_emits_node_created(org, tree, institution_admin, expect_event):
    tx = org.createNode(tree.institution, NodeKind.PARK, "Campus park", {"from": institution_admin})
    assert tx.return_value == 8
    expect_event(tx, "NodeCreated", nodeId=8, parentId=tree.institution, kind=NodeKind.PARK, name="Campus park")
    assert "NodeAdminAdded" not in tx.events


def test_admin_of_ancestor_creates_nodes_deep_in_subtree(org, tree, province_admin):
    tx = org.createNode(tree.building, NodeKind.FLOOR, "Floor 2", {"from": province_admin})
    assert _node(org, tx.return_value)["depth"] == 5


def test_non_admin_cannot_create_child(org, tree, other_admin, reverts_with):
    with reverts_with("NotNodeAdmin", tree.institution, other_admin):
        org.createNode(tree.institution, NodeKind.ROOM, "Room", {"from": other_admin})


def test_admin_of_child_cannot_create_sibling(org, tree, institution_admin, reverts_with):
    with reverts_with("NotNodeAdmin", tree.district, institution_admin):
        org.createNode(tree.district, NodeKind.INSTITUTION, "Sibling", {"from": institution_admin})


def test_create_under_unknown_parent_is_rejected(org, tree, province_admin, reverts_with):
    with reverts_with("UnknownNode", 99):
        org.createNode(99, NodeKind.REGION, "Nowhere", {"from": province_admin})
    with reverts_with("UnknownNode", 0):
        org.createNode(0, NodeKind.REGION, "Nowhere", {"from": province_admin})


def test_create_node_with_empty_name_is_rejected(org, tree, province_admin, reverts_with):
    with reverts_with("EmptyName"):
        org.createNode(tree.province, NodeKind.REGION, "", {"from": province_admin})


def test_child_kinds_follow_the_kind_table(org, tree, province_admin, reverts_with):
    parents = {NodeKind.REGION: tree.district, NodeKind.INSTITUTION: tree.institution}
    parents[NodeKind.PARK] = org.createNode(tree.institution, NodeKind.PARK, "Park", {"from": province_admin}).return_value
    parents[NodeKind.BUILDING] = tree.building
    parents[NodeKind.FLOOR] = org.createNode(tree.building, NodeKind.FLOOR, "Floor", {"from": province_admin}).return_value
    parents[NodeKind.ROOM] = tree.room
    for parent_kind, parent_id in parents.items():
        for child_kind in NodeKind:
            if child_kind in ALLOWED_CHILDREN[parent_kind]:
                tx = org.createNode(parent_id, child_kind, "Child", {"from": province_admin})
                assert tuple(org.nodeOf(tx.return_value))[:2] == (parent_id, child_kind)
            else:
                with reverts_with("InvalidChildKind", parent_kind, child_kind):
                    org.createNode(parent_id, child_kind, "Child", {"from": province_admin})


# --- reading the tree -------------------------------------------------------------------


def test_unknown_node_reads_revert(org, tree, province_admin, reverts_with):
    for bad in (0, 8, 2**64 - 1):
        with reverts_with("UnknownNode", bad):
            org.nodeOf(bad)
        with reverts_with("UnknownNode", bad):
            org.institutionOf(bad)
        with reverts_with("UnknownNode", bad):
            org.isAdmin(bad, province_admin)
        with reverts_with("UnknownNode", bad):
            org.isDirectAdmin(bad, province_admin)
        with reverts_with("UnknownNode", bad):
            org.isAncestorOrSelf(bad, tree.room)
        with reverts_with("UnknownNode", bad):
            org.isAncestorOrSelf(tree.province, bad)


def test_admin_rights_cover_the_subtree_only(org, tree, province_admin, district_admin, other_admin, stranger):
    for node_id in (tree.district, tree.institution, tree.building, tree.room):
        assert org.isAdmin(node_id, district_admin)
        assert org.isAdmin(node_id, province_admin)
        assert not org.isAdmin(node_id, other_admin)
        assert not org.isAdmin(node_id, stranger)
    assert not org.isAdmin(tree.city, district_admin)
    assert not org.isAdmin(tree.other_district, district_admin)
    assert org.isAdmin(tree.other_district, other_admin)


def test_direct_admin_ignores_ancestors(org, tree, province_admin, district_admin):
    assert org.isDirectAdmin(tree.district, district_admin)
    assert not org.isDirectAdmin(tree.institution, district_admin)
    assert org.isDirectAdmin(tree.province, province_admin)
    assert not org.isDirectAdmin(tree.room, province_admin)


def test_ancestor_or_self_follows_parent_links(org, tree):
    assert org.isAncestorOrSelf(tree.room, tree.room)
    assert org.isAncestorOrSelf(tree.province, tree.room)
    assert org.isAncestorOrSelf(tree.district, tree.building)
    assert not org.isAncestorOrSelf(tree.room, tree.province)
    assert not org.isAncestorOrSelf(tree.other_district, tree.room)
    assert not org.isAncestorOrSelf(tree.district, tree.other_district)


def test_institution_of_is_nearest_institution_at_or_above(org, tree):
    assert org.institutionOf(tree.room) == tree.institution
    assert org.institutionOf(tree.building) == tree.institution
    assert org.institutionOf(tree.institution) == tree.institution
    assert org.institutionOf(tree.district) == 0
    assert org.institutionOf(tree.province) == 0


# --- admins -----------------------------------------------------------------------------


def test_add_node_admin_grants_rights_over_subtree(org, tree, institution_admin, stranger, expect_event):
    tx = org.addNodeAdmin(tree.building, stranger, {"from": institution_admin})
    expect_event(tx, "NodeAdminAdded", nodeId=tree.building, account=stranger, by=institution_admin)
    assert org.isDirectAdmin(tree.building, stranger)
    assert org.isAdmin(tree.room, stranger)
    assert not org.isAdmin(tree.institution, stranger)


def test_ancestor_admin_may_add_direct_admin_deeper(org, tree, province_admin, district_admin):
    org.addNodeAdmin(tree.institution, district_admin, {"from": province_admin})
    assert org.isDirectAdmin(tree.institution, district_admin)


def test_non_admin_cannot_add_admin(org, tree, other_admin, stranger, reverts_with):
    with reverts_with("NotNodeAdmin", tree.institution, other_admin):
        org.addNodeAdmin(tree.institution, stranger, {"from": other_admin})


def test_adding_zero_admin_is_rejected(org, tree, district_admin, reverts_with):
    with reverts_with("ZeroAddress"):
        org.addNodeAdmin(tree.institution, ZERO_ADDRESS, {"from": district_admin})


def test_adding_existing_direct_admin_is_rejected(org, tree, district_admin, institution_admin, reverts_with):
    with reverts_with("AlreadyNodeAdmin", tree.institution, institution_admin):
        org.addNodeAdmin(tree.institution, institution_admin, {"from": district_admin})


def test_add_admin_to_unknown_node_is_rejected(org, tree, province_admin, stranger, reverts_with):
    with reverts_with("UnknownNode", 42):
        org.addNodeAdmin(42, stranger, {"from": province_admin})


def test_remove_node_admin_revokes_rights(org, tree, district_admin, institution_admin, expect_event, reverts_with):
    tx = org.removeNodeAdmin(tree.institution, institution_admin, {"from": district_admin})
    expect_event(tx, "NodeAdminRemoved", nodeId=tree.institution, account=institution_admin, by=district_admin)
    assert not org.isDirectAdmin(tree.institution, institution_admin)
    assert not org.isAdmin(tree.room, institution_admin)
    with reverts_with("NotNodeAdmin", tree.institution, institution_admin):
        org.createNode(tree.institution, NodeKind.PARK, "Park", {"from": institution_admin})


def test_admin_may_remove_itself(org, tree, institution_admin):
    org.removeNodeAdmin(tree.institution, institution_admin, {"from": institution_admin})
    assert not org.isAdmin(tree.institution, institution_admin)


def test_removing_inherited_admin_is_rejected(org, tree, district_admin, reverts_with):
    with reverts_with("NotDirectNodeAdmin", tree.institution, district_admin):
        org.removeNodeAdmin(tree.institution, district_admin, {"from": district_admin})


def test_child_admin_cannot_remove_ancestor_admin(org, tree, institution_admin, district_admin, reverts_with):
    with reverts_with("NotNodeAdmin", tree.district, institution_admin):
        org.removeNodeAdmin(tree.district, district_admin, {"from": institution_admin})


# --- moves ------------------------------------------------------------------------------


def test_move_reparents_subtree_and_updates_depths(org, tree, city_admin, expect_event):
    extra = org.createNode(tree.other_district, NodeKind.REGION, "Sub-district", {"from": city_admin}).return_value
    tx = org.moveNode(tree.institution, extra, {"from": city_admin})
    expect_event(tx, "NodeMoved", nodeId=tree.institution, oldParentId=tree.district, newParentId=extra)
    assert _node(org, tree.institution)["parentId"] == extra
    assert [_node(org, i)["depth"] for i in (tree.institution, tree.building, tree.room)] == [4, 5, 6]
    assert org.isAncestorOrSelf(tree.other_district, tree.room)
    assert not org.isAncestorOrSelf(tree.district, tree.room)
    assert org.institutionOf(tree.room) == tree.institution

    org.moveNode(extra, tree.city, {"from": city_admin})
    assert [_node(org, i)["depth"] for i in (extra, tree.institution, tree.building, tree.room)] == [2, 3, 4, 5]


def test_move_transfers_inherited_admin_rights(org, tree, city_admin, district_admin, other_admin):
    org.moveNode(tree.institution, tree.other_district, {"from": city_admin})
    assert org.isAdmin(tree.room, other_admin)
    assert not org.isAdmin(tree.room, district_admin)


def test_move_needs_admin_of_the_new_parent(org, tree, district_admin, reverts_with):
    with reverts_with("NotNodeAdmin", tree.other_district, district_admin):
        org.moveNode(tree.institution, tree.other_district, {"from": district_admin})


def test_move_needs_admin_of_the_old_parent(org, tree, other_admin, reverts_with):
    with reverts_with("NotNodeAdmin", tree.district, other_admin):
        org.moveNode(tree.institution, tree.other_district, {"from": other_admin})


def test_admin_of_node_alone_cannot_move_it(org, tree, institution_admin, reverts_with):
    # Re-parenting an institution to itself still needs rights over its current parent.
    with reverts_with("NotNodeAdmin", tree.district, institution_admin):
        org.moveNode(tree.institution, tree.district, {"from": institution_admin})


def test_admin_of_subtree_may_reshuffle_inside_it(org, tree, institution_admin, expect_event):
    tx = org.moveNode(tree.room, tree.institution, {"from": institution_admin})
    expect_event(tx, "NodeMoved", nodeId=tree.room, oldParentId=tree.building, newParentId=tree.institution)
    assert _node(org, tree.room)["depth"] == 4


def test_move_under_itself_would_create_cycle(org, tree, province_admin, reverts_with):
    with reverts_with("WouldCreateCycle", tree.city, tree.city):
        org.moveNode(tree.city, tree.city, {"from": province_admin})


def test_move_under_own_descendant_would_create_cycle(org, tree, province_admin, reverts_with):
    with reverts_with("WouldCreateCycle", tree.city, tree.district):
        org.moveNode(tree.city, tree.district, {"from": province_admin})
    with reverts_with("WouldCreateCycle", tree.institution, tree.room):
        org.moveNode(tree.institution, tree.room, {"from": province_admin})


def test_move_obeys_kind_table(org, tree, province_admin, reverts_with):
    with reverts_with("InvalidChildKind", NodeKind.INSTITUTION, NodeKind.REGION):
        org.moveNode(tree.other_district, tree.institution, {"from": province_admin})
    with reverts_with("InvalidChildKind", NodeKind.REGION, NodeKind.ROOM):
        org.moveNode(tree.room, tree.district, {"from": province_admin})


def test_move_of_or_to_unknown_node_is_rejected(org, tree, province_admin, reverts_with):
    with reverts_with("UnknownNode", 99):
        org.moveNode(99, tree.city, {"from": province_admin})
    with reverts_with("UnknownNode", 99):
        org.moveNode(tree.district, 99, {"from": province_admin})
    with reverts_with("UnknownNode", 0):
        org.moveNode(tree.district, 0, {"from": province_admin})


def test_moving_a_root_needs_governance(org, tree, governance, city_admin, district_admin, reverts_with):
    school = org.createRoot(NodeKind.INSTITUTION, "School", district_admin, {"from": governance}).return_value
    with reverts_with("AccessControlUnauthorizedAccount", city_admin, DEFAULT_ADMIN_ROLE):
        org.moveNode(school, tree.district, {"from": city_admin})
    with reverts_with("NotNodeAdmin", tree.district, governance):
        org.moveNode(school, tree.district, {"from": governance})
    org.addNodeAdmin(tree.district, governance, {"from": city_admin})
    org.moveNode(school, tree.district, {"from": governance})
    assert _node(org, school)["depth"] == 3
    assert org.isAdmin(school, city_admin)
