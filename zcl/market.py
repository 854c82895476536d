"""`zcl market …`: list credits for sale in escrow, buy (any part of a listing), cancel, show.

Prices are given and shown in whole settlement tokens per tonne (Decimal); on chain they are the
token's smallest units. Approvals the market needs (ERC-1155 operator, ERC-20 allowance) are sent
first when missing, and printed.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from ledger.chain.credits import CreditContracts, Listing
from zcl import context as ctx
from zcl.context import console, reports_errors
from zcl.credit_args import (
    TOKEN_HELP,
    credit_contracts,
    format_units,
    parse_amount,
    parse_price,
    parse_token,
    token_label,
    tx_line,
)

market_app = typer.Typer(help="The credit market: list in escrow, buy (partial fills), cancel, show.",
                         no_args_is_help=True)


@market_app.command("list")
@reports_errors
def list_credits(token: str = typer.Argument(..., help=TOKEN_HELP), amount: int = typer.Argument(...),
                 price: str = typer.Option(..., help="Price per tonne in settlement tokens, e.g. 130 or 129.50.")) -> None:
    """Move AMOUNT tonnes into the market's escrow and offer them at PRICE per tonne."""
    bundle = credit_contracts()
    token_id, amount = parse_token(token), parse_amount(amount)
    price_units = parse_price(price, bundle.settlement.decimals())
    approval = bundle.ensure_market_approval()
    if approval is not None:
        console.print(tx_line("market approved as operator of your credits", approval))
    listed = bundle.market.list_units(token_id, amount, price_units)
    console.print(tx_line(f"listing {listed.listing.listing_id} opened", listed.tx))
    _print_listings(bundle, [listed.listing])


@market_app.command("buy")
@reports_errors
def buy(listing_id: int = typer.Argument(..., metavar="LISTING"), amount: int = typer.Argument(...)) -> None:
    """Buy AMOUNT tonnes of a listing, paying the seller in the settlement token."""
    bundle = credit_contracts()
    amount = parse_amount(amount)
    listing = bundle.market.listing(listing_id)
    if listing.remaining == 0:
        raise ctx.fail(f"listing {listing_id} is closed (filled or cancelled)")
    if amount > listing.remaining:
        raise ctx.fail(f"listing {listing_id} has {listing.remaining:,} t left; cannot buy {amount:,}")
    allowance = bundle.ensure_allowance(amount * listing.price_per_unit)
    if allowance is not None:
        console.print(tx_line("market allowed to take the payment", allowance))
    purchase = bundle.market.buy(listing_id, amount)
    decimals, symbol = bundle.settlement.decimals(), bundle.settlement.symbol()
    console.print(tx_line(f"bought {purchase.amount:,} t of {token_label(purchase.token_id)} from {purchase.seller} "
                          f"for {format_units(purchase.cost, decimals)} {symbol}", purchase.tx), highlight=False)
    console.print(f"listing {listing_id}: {purchase.remaining:,} t left; you hold "
                  f"{bundle.credits.balance(purchase.buyer, purchase.token_id):,} t", highlight=False)


@market_app.command("cancel")
@reports_errors
def cancel(listing_id: int = typer.Argument(..., metavar="LISTING")) -> None:
    """Close your listing and take back what is left of it."""
    bundle = credit_contracts()
    cancelled = bundle.market.cancel(listing_id)
    console.print(tx_line(f"listing {listing_id} cancelled, {cancelled.returned:,} t returned", cancelled.tx))
    _print_listings(bundle, [bundle.market.listing(listing_id)])


@market_app.command("show")
@reports_errors
def show(listing_id: int = typer.Argument(None, metavar="[LISTING]"),
         all_listings: bool = typer.Option(False, "--all", help="Include filled and cancelled listings."),
         as_json: bool = typer.Option(False, "--json")) -> None:
    """One listing, or every open listing."""
    bundle = credit_contracts()
    listings = [bundle.market.listing(listing_id)] if listing_id else bundle.market.listings(open_only=not all_listings)
    if as_json:
        console.print_json(json.dumps([{"listing": x.listing_id, "token_id": x.token_id, "remaining": x.remaining,
                                        "seller": x.seller, "price_per_unit": x.price_per_unit} for x in listings]))
        return
    _print_listings(bundle, listings)


def _print_listings(bundle: CreditContracts, listings: list[Listing]) -> None:
    decimals, symbol = bundle.settlement.decimals(), bundle.settlement.symbol()
    table = Table(title="listings")
    for column in ("listing", "token", "left (t)", f"price ({symbol}/t)", "seller"):
        table.add_column(column)
    for x in listings:
        table.add_row(str(x.listing_id), token_label(x.token_id), f"{x.remaining:,}" if x.remaining else "closed",
                      format_units(x.price_per_unit, decimals), x.seller)
    console.print(table)
