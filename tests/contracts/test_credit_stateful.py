"""Stateful property test: random issue / import / transfer / list / buy / cancel / retire against
a Python model of balances, listings, payments and serial counters.

Each rule predicts the exact custom error (or success, with its serial range) from the model
before sending the transaction. After every step:

- per token id, the units held by all accounts and the market equal totalSupply, and
  totalSupply + retired == issued (the model's count of every unit issued);
- the market holds, per token id, exactly the units of its open listings;
- every account's credit and settlement balances equal the model's;
- the serial ranges retired so far, per token id, are disjoint and tile 1..retired (so no serial
  was retired twice), and isRetired agrees at the boundary;
- the institution's own credits issued never exceed the tonnes verified against the savings result
  each verification cites (2024's, or 2025's for vintage 2025), nor those its savings.
"""

from __future__ import annotations

import itertools
from functools import partial

import brownie
import pytest
from brownie import web3
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from credit_fixtures import *  # noqa: F403
from credit_fixtures import (
    CID,
    SAVINGS_2025_GRAMS,
    SAVINGS_RESULT,
    START_2025,
    START_2026,
    Catalog,
    ClaimKind,
    file_savings_result,
    plain,
    savings_input,
    token_id,
    verification_id,
)

SETTINGS = settings(max_examples=20, stateful_step_count=30, deadline=None)

SAVINGS_2025 = SAVINGS_RESULT + 1  # the module's 2025 savings result (fixture savings_2025_module)
# (label, project, vintage, verified tonnes, the Savings result cited or 0 when external)
VERIFICATIONS = [
    ("own-2024", Catalog.own_project, 2024, 300, SAVINGS_RESULT),
    ("own-2025", Catalog.own_project, 2025, 120, SAVINGS_2025),
    ("vcs-2024", Catalog.vcs_project, 2024, 200, 0),
]
CLASS_OF_PROJECT = {Catalog.own_project: Catalog.savings_class, Catalog.vcs_project: Catalog.vcs_class}
TOKENS = [token_id(CLASS_OF_PROJECT[p], p, v) for _, p, v, _, _ in VERIFICATIONS]
# Claims: voluntary (no claim) or one of a few applications and meetings, so some repeat.
claims = st.one_of(
    st.just((ClaimKind.NONE, b"\x00" * 32)),
    st.tuples(
        st.sampled_from([ClaimKind.CERTIFICATION_APPLICATION, ClaimKind.MEETING]),
        st.integers(min_value=1, max_value=8).map(lambda i: bytes([i]) * 32),
    ),
)
PERIOD = (1_704_067_200, 1_735_689_600)
INITIAL_HOLDING = 30

person = st.integers(min_value=0, max_value=2)
token_pick = st.integers(min_value=0, max_value=len(TOKENS) - 1)
issue_amounts = st.integers(min_value=1, max_value=60)
# Amounts of everything but issuance are drawn as a share of what the model says is available, up
# to 150 %: most calls are then possible, and about one in three asks for too much.
shares = st.integers(min_value=0, max_value=150)
listing_pick = st.integers(min_value=0, max_value=255)
holding_pick = st.integers(min_value=0, max_value=1023)


@pytest.fixture(scope="module")
def savings_2025_module(accounting, tree, institution_admin, district_verifier, savings_result) -> int:
    """credit_fixtures' savings_2025, built once for the module (part of its deployment)."""
    inputs = savings_input(SAVINGS_2025_GRAMS, START_2025, START_2026, label="2025")
    result_id = file_savings_result(accounting, tree, institution_admin, district_verifier, inputs)
    assert result_id == SAVINGS_2025
    return result_id


@pytest.fixture(scope="module")
def verifications(credits, catalog, verifier, savings_result, savings_2025_module):
    ids = []
    for label, project, vintage, tonnes, result_id in VERIFICATIONS:
        ids.append(verification_id(label))
        credits.approveVerification(ids[-1], project, vintage, tonnes, result_id, CID, {"from": verifier})
    return ids


@pytest.fixture(scope="module")
def people(holder, trader, buyer):
    return [holder, trader, buyer]


@pytest.fixture(scope="module")
def holdings(credits, verifications, issuer, people):
    """INITIAL_HOLDING units of every token issued to every person (serials in that order)."""
    for v, (label, _, _, _, result_id) in enumerate(VERIFICATIONS):
        for p, person in enumerate(people):
            if not result_id:  # external
                serial = f"VCS-GENESIS-{p}"
                credits.importExternalCredits(verifications[v], person, INITIAL_HOLDING, serial, {"from": issuer})
            else:
                credits.issue(verifications[v], person, INITIAL_HOLDING, {"from": issuer})


@pytest.fixture(scope="module")
def deployment(org, tree, credits, certificates, settlement, market, catalog, verifications, holdings):
    """Overrides credit_fixtures': verifications and first holdings are in every run's start state."""
    return credits, market, verifications


_RUNS = itertools.count(1)  # wei; the accounts hold plenty


class CreditMachine(RuleBasedStateMachine):
    """Plain hypothesis (brownie 1.22.2's `state_machine` rejects generated subclasses); the class
    attributes are set by the test, and every run starts by rolling back to the deployment."""

    credits = market = settlement = certificates = None
    reverts_with = None
    issuer = None
    people: list = []
    verification_ids: list = []

    def __init__(self):
        super().__init__()
        brownie.chain.revert()
        # A gas price of its own per run: after the revert, a run replaying an earlier run's call would
        # otherwise send a byte-identical transaction (same nonce, same hash), which anvil has seen and
        # brownie then reports as "dropped without known replacement".
        self.gas_price = next(_RUNS)
        self.accounts = self.people + [self.market]
        people, tokens = range(len(self.people)), range(len(TOKENS))
        holders = range(len(self.accounts))  # the people, then the market
        self.balance = {(a, t): INITIAL_HOLDING if a in people else 0 for a in holders for t in tokens}
        self.cash = [self.settlement.balanceOf(p) for p in self.people]
        self.issued = [INITIAL_HOLDING * len(self.people)] * len(TOKENS)
        self.retired_ranges: list[list[tuple[int, int]]] = [[] for _ in TOKENS]
        self.batches = [len(self.people)] * len(TOKENS)
        self.left = [tonnes - INITIAL_HOLDING * len(self.people) for _, _, _, tonnes, _ in VERIFICATIONS]
        self.listings: list[dict] = []  # index i is listing id i + 1
        self.claims: dict[tuple, int] = {}  # ((kind, claim id), retiree) → certificate
        self.certificate_count = 0
        self.external_serials: list[str] = []

    # --- helpers ---------------------------------------------------------------------------

    def _retired(self, t: int) -> int:
        return self.retired_ranges[t][-1][1] if self.retired_ranges[t] else 0

    def _market_index(self) -> int:
        return len(self.people)

    def _pick_listing(self, pick: int) -> int:
        """A listing id; three picks in four land on the newest three, which are more likely open."""
        if pick % 4:
            return len(self.listings) - pick % min(3, len(self.listings))
        return pick % len(self.listings) + 1

    def _holding(self, pick: int) -> tuple[int, int]:
        """(person, token): seven picks in eight among non-zero holdings, when there are any."""
        held = [(p, t) for p in range(len(self.people)) for t in range(len(TOKENS)) if self.balance[p, t]]
        if held and pick % 8:
            return held[pick % len(held)]
        return pick % len(self.people), pick // len(self.people) % len(TOKENS)

    def _by(self, sender) -> dict:
        return {"from": sender, "gas_price": self.gas_price}

    @staticmethod
    def _share(available: int, share: int) -> int:
        return 1 + available * share // 100

    # --- rules -----------------------------------------------------------------------------

    @rule(v=token_pick, to=person, amount=issue_amounts, reuse_serial=st.booleans())
    def issue(self, v, to, amount, reuse_serial):
        vid, (_, project, _, _, result_id) = self.verification_ids[v], VERIFICATIONS[v]
        external = not result_id
        recipient = self.people[to]
        if external:
            reuse = reuse_serial and self.external_serials
            serial = self.external_serials[0] if reuse else f"VCS-4321-{len(self.external_serials) + 1:06d}"
            send = partial(self.credits.importExternalCredits, vid, recipient, amount, serial, self._by(self.issuer))
        else:
            reuse, send = False, partial(self.credits.issue, vid, recipient, amount, self._by(self.issuer))
        if amount > self.left[v]:
            with self.reverts_with("IssuanceExceedsVerifiedSavings", project, amount, self.left[v]):
                send()
        elif reuse:
            with self.reverts_with("ExternalSerialAlreadyImported", "VCS", serial):
                send()
        else:
            tx = send()
            assert plain(tx.return_value) == (TOKENS[v], self.issued[v] + 1, self.issued[v] + amount)
            if external:
                self.external_serials.append(serial)
            self.left[v] -= amount
            self.issued[v] += amount
            self.batches[v] += 1
            self.balance[to, v] += amount

    @rule(pick=holding_pick, to=person, share=shares)
    def transfer(self, pick, to, share):
        sender, t = self._holding(pick)
        source, target = self.people[sender], self.people[to]
        amount = self._share(self.balance[sender, t], share)
        send = partial(self.credits.safeTransferFrom, source, target, TOKENS[t], amount, b"", self._by(source))
        held = self.balance[sender, t]
        if amount > held:
            with self.reverts_with("ERC1155InsufficientBalance", source, held, amount, TOKENS[t]):
                send()
        else:
            send()
            self.balance[sender, t] -= amount
            self.balance[to, t] += amount

    @rule(pick=holding_pick, share=shares, price=st.integers(min_value=1, max_value=5))
    def list_units(self, pick, share, price):
        seller, t = self._holding(pick)
        account, held = self.people[seller], self.balance[seller, t]
        amount = self._share(held, share)
        send = partial(self.market.list, TOKENS[t], amount, price * 10**6, self._by(account))
        if amount > held:
            with self.reverts_with("ERC1155InsufficientBalance", account, held, amount, TOKENS[t]):
                send()
        else:
            assert send().return_value == len(self.listings) + 1
            self.listings.append({"token": t, "seller": seller, "remaining": amount, "price": price * 10**6})
            self.balance[seller, t] -= amount
            self.balance[self._market_index(), t] += amount

    @rule(purchaser=person, pick=listing_pick, share=shares)
    def buy(self, purchaser, pick, share):
        account = self.people[purchaser]
        if not self.listings:
            if pick % 8 == 0:
                with self.reverts_with("UnknownListing", 1):
                    self.market.buy(1, 1, self._by(account))
            return
        listing_id = self._pick_listing(pick)
        listing = self.listings[listing_id - 1]
        amount = self._share(listing["remaining"], share)
        send = partial(self.market.buy, listing_id, amount, self._by(account))
        if listing["remaining"] == 0:
            with self.reverts_with("ListingNotOpen", listing_id):
                send()
        elif amount > listing["remaining"]:
            with self.reverts_with("ExceedsListing", listing_id, listing["remaining"], amount):
                send()
        else:
            cost = send().return_value
            assert cost == amount * listing["price"]
            listing["remaining"] -= amount
            self.balance[self._market_index(), listing["token"]] -= amount
            self.balance[purchaser, listing["token"]] += amount
            self.cash[purchaser] -= cost
            self.cash[listing["seller"]] += cost

    @rule(caller=person, by_seller=st.booleans(), pick=listing_pick)
    def cancel(self, caller, by_seller, pick):
        if not self.listings:
            return
        listing_id = self._pick_listing(pick)
        listing = self.listings[listing_id - 1]
        if by_seller:
            caller = listing["seller"]
        account = self.people[caller]
        send = partial(self.market.cancel, listing_id, self._by(account))
        if listing["remaining"] == 0:
            with self.reverts_with("ListingNotOpen", listing_id):
                send()
        elif caller != listing["seller"]:
            with self.reverts_with("NotSeller", listing_id, account):
                send()
        else:
            send()
            self.balance[self._market_index(), listing["token"]] -= listing["remaining"]
            self.balance[caller, listing["token"]] += listing["remaining"]
            listing["remaining"] = 0

    @rule(
        pick=holding_pick,
        more=st.lists(st.tuples(token_pick, shares), max_size=2),
        share=shares,
        claim=claims,
    )
    def retire(self, pick, more, share, claim):
        """One token id (retire) or up to three entries, repeats allowed (retireBatch)."""
        retiree, first_token = self._holding(pick)
        account = self.people[retiree]
        picks = [(first_token, share)] + more
        entries = [(t, self._share(self.balance[retiree, t] // len(picks), s)) for t, s in picks]
        kind, claim_id = claim
        ids, values = [TOKENS[t] for t, _ in entries], [a for _, a in entries]
        if len(entries) == 1:
            send = partial(
                self.credits.retire, ids[0], values[0], account, "r", kind, claim_id, *PERIOD, self._by(account)
            )
        else:
            send = partial(
                self.credits.retireBatch, ids, values, account, "r", kind, claim_id, *PERIOD, self._by(account)
            )
        running = dict(self.balance)
        for t, amount in entries:  # OpenZeppelin burns entry by entry, failing at the first short one
            if amount > running[retiree, t]:
                with self.reverts_with("ERC1155InsufficientBalance", account, running[retiree, t], amount, TOKENS[t]):
                    send()
                return
            running[retiree, t] -= amount
        if kind != ClaimKind.NONE and (claim, retiree) in self.claims:
            with self.reverts_with("ClaimAlreadyBacked", kind, claim_id, account, self.claims[claim, retiree]):
                send()
            return
        tx = send()
        self.certificate_count += 1
        assert tx.return_value == self.certificate_count
        expected = []
        for t, amount in entries:
            first = self._retired(t) + 1
            self.retired_ranges[t].append((first, first + amount - 1))
            expected.append((TOKENS[t], first, first + amount - 1))
        ranges = plain(tx.events["CreditsRetired"][0]["ranges"])
        assert ranges == tuple(expected)
        assert self.certificates.rangesMatch(self.certificate_count, ranges)
        self.balance = running
        if kind != ClaimKind.NONE:
            self.claims[claim, retiree] = self.certificate_count

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def supply_balances_and_escrow_match_the_model(self):
        holders = range(len(self.accounts))
        calls = [(self.credits.balanceOf, (self.accounts[a], TOKENS[t])) for a in holders for t in range(len(TOKENS))]
        calls += [(self.credits.supplyOf, (tid,)) for tid in TOKENS]
        calls += [(self.credits.totalSupply, (tid,)) for tid in TOKENS]
        calls += [(self.settlement.balanceOf, (p,)) for p in self.people]
        calls += [(self.market.listingOf, (i + 1,)) for i in range(len(self.listings))]
        results = iter(_read_all(calls))

        balances = {(a, t): next(results) for a in holders for t in range(len(TOKENS))}
        assert balances == self.balance
        for t in range(len(TOKENS)):
            retired = self._retired(t)
            supply = plain(next(results))
            assert supply == (self.issued[t], retired, self.batches[t])
            held = sum(balances[a, t] for a in holders)
            assert held == self.issued[t] - retired  # units held + retired == issued
        for t in range(len(TOKENS)):
            assert next(results) == self.issued[t] - self._retired(t)
        assert [next(results) for _ in self.people] == self.cash
        for listing in self.listings:
            assert next(results)[1] == listing["remaining"]
        for t in range(len(TOKENS)):
            escrow = sum(lst["remaining"] for lst in self.listings if lst["token"] == t)
            assert balances[self._market_index(), t] == escrow

    @invariant()
    def own_credits_stay_within_the_verified_savings(self):
        """Issued ≤ verified against the cited savings result ≤ its savings (CarbonCredit.savingsOf)."""
        for v, (_, _, _, tonnes, result_id) in enumerate(VERIFICATIONS):
            if result_id:
                savings, verified = self.credits.savingsOf(result_id)
                assert self.issued[v] <= verified == tonnes <= savings

    @invariant()
    def no_serial_is_retired_twice(self):
        for t, ranges in enumerate(self.retired_ranges):
            expected_first = 1
            for first, last in ranges:  # in retirement order: adjacent, increasing, never overlapping
                assert first == expected_first and last >= first
                expected_first = last + 1
            covered = sum(last - first + 1 for first, last in ranges)
            assert covered == self._retired(t) == len({s for first, last in ranges for s in range(first, last + 1)})

    def teardown(self):
        for t, tid in enumerate(TOKENS):
            retired = self._retired(t)
            if retired:
                assert self.credits.isRetired(tid, retired)
            if retired < self.issued[t]:
                assert not self.credits.isRetired(tid, retired + 1)


def _read_all(calls):
    """Many contract reads in one JSON-RPC batch."""
    with web3.batch_requests() as batch:
        for method, args in calls:
            batch.add(web3.eth.call({"to": method._address, "data": method.encode_input(*args)}))
        results = batch.execute()
    return [method.decode_output(result.hex()) for (method, _), result in zip(calls, results)]


def test_random_credit_operations_keep_supply_escrow_and_serials_consistent(
    credits, market, settlement, certificates, verifications, issuer, people, reverts_with
):
    CreditMachine.credits, CreditMachine.market = credits, market
    CreditMachine.settlement, CreditMachine.certificates = settlement, certificates
    CreditMachine.reverts_with = staticmethod(reverts_with)
    CreditMachine.issuer = issuer
    CreditMachine.people = people
    CreditMachine.verification_ids = verifications
    run_state_machine_as_test(CreditMachine, settings=SETTINGS)
