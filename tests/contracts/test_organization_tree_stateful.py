"""Stateful property test: random creates, moves and admin changes against a Python model.

After every step the chain's parents, depths, institutions and isAdmin answers (every node and
account) must equal the model's and the parent links must reach a root (no cycle); at the end of
every run all isDirectAdmin and isAncestorOrSelf answers are compared too. Each rule predicts
the exact custom error (or success) from the model before sending the transaction.
"""

from __future__ import annotations

import itertools
from functools import partial

import brownie
from brownie import web3
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from conftest import NodeKind

MAX_NODES = 14
DEFAULT_ADMIN_ROLE = b"\x00" * 32
SETTINGS = settings(max_examples=30, stateful_step_count=30, deadline=None)

node_pick = st.integers(min_value=0, max_value=255)
kinds = st.sampled_from(list(NodeKind))
# Callers and accounts are indices into `people` (0 is governance, 1 the province admin, then the
# city, district, institution and other-district admins). The province admin administers the whole
# fixture tree, so it is listed several times: most calls are then permitted and runs get past
# NotNodeAdmin to moves, cycles and kind checks.
caller_pick = st.sampled_from([1, 1, 1, 2, 3, 4, 5, 0])
person = st.sampled_from([2, 3, 4, 5, 0, 1])


_RUNS = itertools.count(1)  # wei; the accounts hold plenty


class OrganizationTreeMachine(RuleBasedStateMachine):
    """Plain hypothesis: brownie 1.22.2's compiled `state_machine` rejects generated subclasses.

    The class attributes are set by the test; every run starts by rolling the chain back to the
    fixture tree (conftest) and a model built from the same tree.
    """

    org = None
    reverts_with = None
    people: list = []  # index 0 is governance

    def __init__(self):
        super().__init__()
        brownie.chain.revert()
        # A gas price of its own per run: after the revert, a run replaying an earlier run's call would
        # otherwise send a byte-identical transaction (same nonce, same hash), which anvil has seen and
        # brownie then reports as "dropped without known replacement".
        self.gas_price = next(_RUNS)
        governance, province, city, district, institution, other = self.people
        self.governance = governance
        self.parent = {1: 0, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5, 7: 2}
        self.kind_of = {
            1: NodeKind.REGION,
            2: NodeKind.REGION,
            3: NodeKind.REGION,
            4: NodeKind.INSTITUTION,
            5: NodeKind.BUILDING,
            6: NodeKind.ROOM,
            7: NodeKind.REGION,
        }
        self.admins = {1: {province}, 2: {city}, 3: {district}, 4: {institution}, 5: set(), 6: set(), 7: {other}}

    # --- the model ---------------------------------------------------------------------------

    def _ancestors_or_self(self, node_id):
        while node_id != 0:
            yield node_id
            node_id = self.parent[node_id]

    def _is_admin(self, node_id, account):
        return any(account in self.admins[i] for i in self._ancestors_or_self(node_id))

    def _institution_of(self, node_id):
        return next((i for i in self._ancestors_or_self(node_id) if self.kind_of[i] == NodeKind.INSTITUTION), 0)

    def _allowed_child(self, parent_kind, child_kind):
        if parent_kind == NodeKind.REGION:
            return child_kind in (NodeKind.REGION, NodeKind.INSTITUTION)
        if parent_kind == NodeKind.INSTITUTION:
            return child_kind >= NodeKind.PARK
        return child_kind > parent_kind

    def _node(self, pick):
        return sorted(self.parent)[pick % len(self.parent)]

    # --- rules -------------------------------------------------------------------------------

    def _by(self, sender) -> dict:
        return {"from": sender, "gas_price": self.gas_price}

    @rule(node_pick=node_pick, kind=kinds, caller=caller_pick)
    def create(self, node_pick, kind, caller):
        if len(self.parent) >= MAX_NODES:
            return
        parent_id, sender = self._node(node_pick), self.people[caller]
        send = partial(self.org.createNode, parent_id, kind, "n", self._by(sender))
        if not self._is_admin(parent_id, sender):
            with self.reverts_with("NotNodeAdmin", parent_id, sender):
                send()
        elif not self._allowed_child(self.kind_of[parent_id], kind):
            with self.reverts_with("InvalidChildKind", self.kind_of[parent_id], kind):
                send()
        else:
            node_id = send().return_value
            assert node_id == len(self.parent) + 1
            self.parent[node_id], self.kind_of[node_id], self.admins[node_id] = parent_id, kind, set()

    @rule(kind=kinds, caller=person, account=person)
    def create_root(self, kind, caller, account):
        if len(self.parent) >= MAX_NODES:
            return
        sender, admin = self.people[caller], self.people[account]
        send = partial(self.org.createRoot, kind, "r", admin, self._by(sender))
        if sender != self.governance:
            with self.reverts_with("AccessControlUnauthorizedAccount", sender, DEFAULT_ADMIN_ROLE):
                send()
        elif kind not in (NodeKind.REGION, NodeKind.INSTITUTION):
            with self.reverts_with("InvalidRootKind", kind):
                send()
        else:
            node_id = send().return_value
            assert node_id == len(self.parent) + 1
            self.parent[node_id], self.kind_of[node_id], self.admins[node_id] = 0, kind, {admin}

    @rule(node_pick=node_pick, other_pick=node_pick, caller=caller_pick)
    def move(self, node_pick, other_pick, caller):
        node_id, new_parent, sender = self._node(node_pick), self._node(other_pick), self.people[caller]
        old_parent = self.parent[node_id]
        send = partial(self.org.moveNode, node_id, new_parent, self._by(sender))
        if old_parent == 0 and sender != self.governance:
            with self.reverts_with("AccessControlUnauthorizedAccount", sender, DEFAULT_ADMIN_ROLE):
                send()
        elif old_parent != 0 and not self._is_admin(old_parent, sender):
            with self.reverts_with("NotNodeAdmin", old_parent, sender):
                send()
        elif not self._is_admin(new_parent, sender):
            with self.reverts_with("NotNodeAdmin", new_parent, sender):
                send()
        elif node_id in self._ancestors_or_self(new_parent):
            with self.reverts_with("WouldCreateCycle", node_id, new_parent):
                send()
        elif not self._allowed_child(self.kind_of[new_parent], self.kind_of[node_id]):
            with self.reverts_with("InvalidChildKind", self.kind_of[new_parent], self.kind_of[node_id]):
                send()
        else:
            tx = send()
            assert tx.events["NodeMoved"][0]["oldParentId"] == old_parent
            self.parent[node_id] = new_parent

    @rule(node_pick=node_pick, caller=caller_pick, account=person)
    def add_admin(self, node_pick, caller, account):
        node_id, sender, new_admin = self._node(node_pick), self.people[caller], self.people[account]
        send = partial(self.org.addNodeAdmin, node_id, new_admin, self._by(sender))
        if not self._is_admin(node_id, sender):
            with self.reverts_with("NotNodeAdmin", node_id, sender):
                send()
        elif new_admin in self.admins[node_id]:
            with self.reverts_with("AlreadyNodeAdmin", node_id, new_admin):
                send()
        else:
            send()
            self.admins[node_id].add(new_admin)

    @rule(node_pick=node_pick, caller=caller_pick, account=person)
    def remove_admin(self, node_pick, caller, account):
        node_id, sender, old_admin = self._node(node_pick), self.people[caller], self.people[account]
        send = partial(self.org.removeNodeAdmin, node_id, old_admin, self._by(sender))
        if not self._is_admin(node_id, sender):
            with self.reverts_with("NotNodeAdmin", node_id, sender):
                send()
        elif old_admin not in self.admins[node_id]:
            with self.reverts_with("NotDirectNodeAdmin", node_id, old_admin):
                send()
        else:
            send()
            self.admins[node_id].discard(old_admin)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def tree_matches_model_and_has_no_cycle(self):
        nodes = sorted(self.parent)
        records = _read_all([(self.org.nodeOf, (n,)) for n in nodes])
        institutions = _read_all([(self.org.institutionOf, (n,)) for n in nodes])
        assert self.org.nodeCount() == len(nodes)
        chain_parent = {}
        for node_id, (parent_id, kind, depth, _), institution in zip(nodes, records, institutions):
            chain_parent[node_id] = parent_id
            assert (parent_id, kind) == (self.parent[node_id], self.kind_of[node_id])
            assert depth == len(list(self._ancestors_or_self(node_id))) - 1
            assert institution == self._institution_of(node_id)
        for node_id in chain_parent:  # every parent walk reaches a root within n steps
            steps, current = 0, node_id
            while current != 0:
                current, steps = chain_parent[current], steps + 1
                assert steps <= len(chain_parent), f"cycle through node {node_id}"

    @invariant()
    def admin_rights_match_model(self):
        pairs = [(n, p) for n in sorted(self.parent) for p in self.people]
        answers = _read_all([(self.org.isAdmin, pair) for pair in pairs])
        assert answers == [self._is_admin(n, p) for n, p in pairs]

    def teardown(self):
        nodes = sorted(self.parent)
        pairs = [(n, p) for n in nodes for p in self.people]
        direct = _read_all([(self.org.isDirectAdmin, pair) for pair in pairs])
        assert direct == [p in self.admins[n] for n, p in pairs]
        relations = [(a, n) for a in nodes for n in nodes]
        answers = _read_all([(self.org.isAncestorOrSelf, relation) for relation in relations])
        assert answers == [a in self._ancestors_or_self(n) for a, n in relations]


def _read_all(calls):
    """Many contract reads in one JSON-RPC batch (about six times faster than one by one)."""
    with web3.batch_requests() as batch:
        for method, args in calls:
            batch.add(web3.eth.call({"to": method._address, "data": method.encode_input(*args)}))
        results = batch.execute()
    return [method.decode_output(result.hex()) for (method, _), result in zip(calls, results)]


def test_random_tree_operations_match_the_model(org, tree, reverts_with, accounts):
    OrganizationTreeMachine.org = org
    OrganizationTreeMachine.reverts_with = staticmethod(reverts_with)
    OrganizationTreeMachine.people = list(accounts[:6])
    run_state_machine_as_test(OrganizationTreeMachine, settings=SETTINGS)
