"""CreditMarket: escrowed listings, partial fills paid in the settlement token, cancellation, and
no way in for unsolicited deposits or re-entrant buyers."""

from __future__ import annotations

import pytest
from brownie import ZERO_ADDRESS, CreditMarket, ReentrantBuyer
from eth_utils import function_signature_to_4byte_selector

from credit_fixtures import *  # noqa: F403
from credit_fixtures import PRICE, plain

REENTER_BUY, REENTER_CANCEL, REENTER_LIST = 0, 1, 2


@pytest.fixture
def listing(market, issued, holder) -> int:
    """Listing 1: 40 of the holder's 60 units at PRICE."""
    market.list(issued, 40, PRICE, {"from": holder})
    return 1


# --- deployment -------------------------------------------------------------------------------


def test_market_reports_its_token_contracts(market, credits, settlement):
    assert market.credits() == credits
    assert market.settlementToken() == settlement
    assert market.listingCount() == 0
    assert market.supportsInterface("0x4e2312e0")  # IERC1155Receiver
    assert market.supportsInterface("0x01ffc9a7")
    assert not market.supportsInterface("0xffffffff")


@pytest.mark.parametrize("which", [0, 1])
def test_zero_addresses_are_rejected_at_deployment(credits, settlement, governance, reverts_with, which):
    args = [credits.address, settlement.address]
    args[which] = ZERO_ADDRESS
    with reverts_with("ZeroAddress"):
        CreditMarket.deploy(*args, {"from": governance})


def test_settlement_token_has_six_decimals_and_an_owner_mint(settlement, governance, outsider, reverts_with):
    assert settlement.decimals() == 6
    assert (settlement.name(), settlement.symbol()) == ("ZCL Settlement Token", "ZSET")
    settlement.mint(outsider, 5, {"from": governance})
    assert settlement.balanceOf(outsider) == 5
    with reverts_with("OwnableUnauthorizedAccount", outsider):
        settlement.mint(outsider, 5, {"from": outsider})


# --- list -------------------------------------------------------------------------------------


def test_list_escrows_the_units(market, credits, issued, holder, expect_event):
    tx = market.list(issued, 40, PRICE, {"from": holder})
    assert tx.return_value == 1
    expect_event(tx, "Listed", listingId=1, seller=holder, tokenId=issued, amount=40, pricePerUnit=PRICE)
    expect_event(tx, "TransferSingle", operator=market, **{"from": holder}, to=market, id=issued, value=40)
    assert plain(market.listingOf(1)) == plain((issued, 40, holder, PRICE))
    assert credits.balanceOf(market, issued) == 40
    assert credits.balanceOf(holder, issued) == 20
    assert market.listingCount() == 1


def test_list_needs_an_amount_and_a_price(market, issued, holder, reverts_with):
    with reverts_with("ZeroAmount"):
        market.list(issued, 0, PRICE, {"from": holder})
    with reverts_with("ZeroPrice"):
        market.list(issued, 1, 0, {"from": holder})


def test_list_needs_the_units(market, issued, holder, reverts_with):
    with reverts_with("ERC1155InsufficientBalance", holder, 60, 61, issued):
        market.list(issued, 61, PRICE, {"from": holder})


def test_list_needs_the_market_approved(market, credits, issued, holder, outsider, reverts_with):
    credits.safeTransferFrom(holder, outsider, issued, 5, b"", {"from": holder})
    with reverts_with("ERC1155MissingApprovalForAll", market.address, outsider):
        market.list(issued, 5, PRICE, {"from": outsider})


def test_token_ids_beyond_192_bits_cannot_be_listed(market, holder, reverts_with):
    with reverts_with("SafeCastOverflowedUintDowncast", 192, 2**192):
        market.list(2**192, 1, PRICE, {"from": holder})


# --- buy --------------------------------------------------------------------------------------


def test_buy_pays_the_seller_and_delivers_the_units(
    market, credits, settlement, issued, listing, holder, buyer, expect_event
):
    seller_before, buyer_before = settlement.balanceOf(holder), settlement.balanceOf(buyer)
    tx = market.buy(listing, 15, {"from": buyer})
    cost = 15 * PRICE
    assert tx.return_value == cost
    expect_event(
        tx,
        "Purchased",
        listingId=listing,
        buyer=buyer,
        seller=holder,
        tokenId=issued,
        amount=15,
        cost=cost,
        remaining=25,
    )
    expect_event(tx, "Transfer", **{"from": buyer}, to=holder, value=cost)
    expect_event(tx, "TransferSingle", operator=market, **{"from": market}, to=buyer, id=issued, value=15)
    assert settlement.balanceOf(holder) - seller_before == cost
    assert buyer_before - settlement.balanceOf(buyer) == cost
    assert credits.balanceOf(buyer, issued) == 15
    assert credits.balanceOf(market, issued) == 25
    assert market.listingOf(listing)[1] == 25


def test_partial_fills_until_the_listing_is_filled(market, credits, issued, listing, buyer, trader, reverts_with):
    market.buy(listing, 10, {"from": buyer})
    market.buy(listing, 25, {"from": trader})
    with reverts_with("ExceedsListing", listing, 5, 6):
        market.buy(listing, 6, {"from": buyer})
    market.buy(listing, 5, {"from": buyer})
    assert credits.balanceOf(market, issued) == 0
    assert (credits.balanceOf(buyer, issued), credits.balanceOf(trader, issued)) == (15, 25)
    with reverts_with("ListingNotOpen", listing):
        market.buy(listing, 1, {"from": buyer})


def test_buy_needs_an_amount(market, listing, buyer, reverts_with):
    with reverts_with("ZeroAmount"):
        market.buy(listing, 0, {"from": buyer})


@pytest.mark.parametrize("listing_id", [0, 2])
def test_unknown_listing_cannot_be_bought_or_read(market, listing, buyer, reverts_with, listing_id):
    with reverts_with("UnknownListing", listing_id):
        market.buy(listing_id, 1, {"from": buyer})
    with reverts_with("UnknownListing", listing_id):
        market.listingOf(listing_id)


def test_buy_without_allowance_is_rejected(market, settlement, listing, governance, outsider, reverts_with):
    settlement.mint(outsider, PRICE, {"from": governance})
    with reverts_with("ERC20InsufficientAllowance", market.address, 0, PRICE):
        market.buy(listing, 1, {"from": outsider})


def test_buy_without_funds_is_rejected(market, settlement, listing, outsider, reverts_with):
    settlement.approve(market, 2**256 - 1, {"from": outsider})
    with reverts_with("ERC20InsufficientBalance", outsider, 0, PRICE):
        market.buy(listing, 1, {"from": outsider})


def test_seller_may_buy_back_its_own_listing(market, credits, issued, listing, holder):
    market.buy(listing, 40, {"from": holder})
    assert credits.balanceOf(holder, issued) == 60


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_returns_what_is_left(market, credits, issued, listing, holder, buyer, expect_event):
    market.buy(listing, 15, {"from": buyer})
    tx = market.cancel(listing, {"from": holder})
    expect_event(tx, "ListingCancelled", listingId=listing, seller=holder, returned=25)
    expect_event(tx, "TransferSingle", operator=market, **{"from": market}, to=holder, id=issued, value=25)
    assert credits.balanceOf(holder, issued) == 45
    assert credits.balanceOf(market, issued) == 0
    assert market.listingOf(listing)[1] == 0


def test_only_the_seller_cancels(market, listing, buyer, reverts_with):
    with reverts_with("NotSeller", listing, buyer):
        market.cancel(listing, {"from": buyer})


def test_closed_listing_cannot_be_cancelled_or_bought(market, listing, holder, buyer, reverts_with):
    market.cancel(listing, {"from": holder})
    with reverts_with("ListingNotOpen", listing):
        market.cancel(listing, {"from": holder})
    with reverts_with("ListingNotOpen", listing):
        market.buy(listing, 1, {"from": buyer})


def test_filled_listing_cannot_be_cancelled(market, listing, holder, buyer, reverts_with):
    market.buy(listing, 40, {"from": buyer})
    with reverts_with("ListingNotOpen", listing):
        market.cancel(listing, {"from": holder})


def test_unknown_listing_cannot_be_cancelled(market, holder, reverts_with):
    with reverts_with("UnknownListing", 1):
        market.cancel(1, {"from": holder})


# --- escrow integrity -------------------------------------------------------------------------


def test_units_sent_straight_to_the_market_are_refused(market, credits, issued, holder, reverts_with):
    with reverts_with("UnsolicitedTransfer", credits.address, holder):
        credits.safeTransferFrom(holder, market, issued, 1, b"", {"from": holder})
    with reverts_with("UnsolicitedTransfer", credits.address, holder):
        credits.safeBatchTransferFrom(holder, market, [issued], [1], b"", {"from": holder})


def test_receiver_hook_called_by_anyone_else_is_refused(market, holder, reverts_with):
    with reverts_with("UnsolicitedTransfer", holder, market.address):
        market.onERC1155Received(market, holder, 1, 1, b"", {"from": holder})
    with reverts_with("UnsolicitedTransfer", holder, market.address):
        market.onERC1155BatchReceived(market, holder, [1], [1], b"", {"from": holder})


# --- re-entrancy ------------------------------------------------------------------------------


@pytest.fixture
def attacker(market, settlement, governance, buyer):
    contract = ReentrantBuyer.deploy(market, settlement, {"from": buyer})
    settlement.mint(contract, 100 * PRICE, {"from": governance})
    return contract


REENTRANCY_SELECTOR = "0x" + function_signature_to_4byte_selector("ReentrancyGuardReentrantCall()").hex()


@pytest.mark.parametrize("reentry", [REENTER_BUY, REENTER_CANCEL, REENTER_LIST])
def test_reentering_the_market_from_the_receiver_hook_reverts_the_purchase(
    market, credits, settlement, issued, listing, attacker, buyer, reverts_with, reentry
):
    with reverts_with("ReentrancyGuardReentrantCall"):
        attacker.attack(listing, 10, reentry, 10, False, {"from": buyer})
    assert market.listingOf(listing)[1] == 40
    assert credits.balanceOf(attacker, issued) == 0
    assert credits.balanceOf(market, issued) == 40
    assert settlement.balanceOf(attacker) == 100 * PRICE


@pytest.mark.parametrize("reentry", [REENTER_BUY, REENTER_CANCEL, REENTER_LIST])
def test_attacker_swallowing_the_reentry_gets_only_what_it_paid_for(
    market, credits, settlement, issued, listing, attacker, holder, buyer, reentry
):
    seller_before = settlement.balanceOf(holder)
    attacker.attack(listing, 10, reentry, 10, True, {"from": buyer})
    assert attacker.reentryAttempts() == 1
    assert attacker.lastReentryError() == REENTRANCY_SELECTOR
    assert credits.balanceOf(attacker, issued) == 10
    assert settlement.balanceOf(attacker) == 90 * PRICE
    assert settlement.balanceOf(holder) - seller_before == 10 * PRICE
    assert market.listingOf(listing)[1] == 30
    assert credits.balanceOf(market, issued) == 30


def test_attackers_reentry_entry_point_is_closed_to_others(attacker, buyer, reverts_with):
    with reverts_with("NotFromHook", buyer):
        attacker.reenter(1, {"from": buyer})
