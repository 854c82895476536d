// Credits: the user's holdings, every issued token with its supply, and the market's open listings.
zclApp.page("credits", async (user) => {
  const e = zclApp.esc;
  if (user.address) {
    zclApp.pagedTable(document.getElementById("holdings"), [
      ["credits.token", (h) => `<code>${e(h.token_id)}</code>`], ["credits.amount", (h) => e(h.amount)],
    ], () => "/credits/holdings");
  } else {
    document.getElementById("holdings").textContent = zclI18n.t("credits.no_address");
  }
  zclApp.pagedTable(document.getElementById("tokens"), [
    ["credits.token", (x) => `<code>${e(x.token_id)}</code>`], ["credits.vintage", (x) => e(x.vintage)],
    ["credits.issued", (x) => e(x.issued)], ["credits.retired", (x) => e(x.retired)], ["credits.circulating", (x) => e(x.circulating)],
  ], (limit, offset) => `/credits/tokens?limit=${limit}&offset=${offset}`);
  zclApp.pagedTable(document.getElementById("listings"), [
    ["credits.listing", (x) => "#" + e(x.listing_id)], ["credits.token", (x) => `<code>${e(x.token_id)}</code>`],
    ["credits.amount", (x) => e(x.remaining)], ["credits.price", (x) => e(x.price_per_unit)], ["credits.seller", (x) => e(x.seller)],
  ], (limit, offset) => `/market/listings?limit=${limit}&offset=${offset}`);
});
