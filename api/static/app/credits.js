// Credits: the user's holdings, every issued token with its supply and the market's open listings; a credit
// trader (institution admin or credit buyer) lists credits, buys from others' listings, withdraws its own and
// retires credits for a certificate, each signed with its server-side key, then sees the hash and its holdings.
zclApp.page("credits", async (user) => {
  const e = zclApp.esc, t = zclI18n.t;
  const trader = zclForms.reveal(user, "trade_credits", ...["sell", "buy", "cancel", "retire"].map((id) => document.getElementById(id)));
  const mine = (seller) => Boolean(user.address) && seller.toLowerCase() === user.address.toLowerCase();
  let holdings = null;
  if (user.address) {
    holdings = zclApp.pagedTable(document.getElementById("holdings"), [
      ["credits.token", (h) => `<code>${e(h.token_id)}</code>`], ["credits.amount", (h) => e(h.amount)],
    ], () => "/credits/holdings");
  } else {
    document.getElementById("holdings").textContent = t("credits.no_address");
  }
  const tokens = zclApp.pagedTable(document.getElementById("tokens"), [
    ["credits.token", (x) => `<code>${e(x.token_id)}</code>`], ["credits.vintage", (x) => e(x.vintage)],
    ["credits.issued", (x) => e(x.issued)], ["credits.retired", (x) => e(x.retired)], ["credits.circulating", (x) => e(x.circulating)],
  ], (limit, offset) => `/credits/tokens?limit=${limit}&offset=${offset}`);
  const columns = [
    ["credits.listing", (x) => "#" + e(x.listing_id)], ["credits.token", (x) => `<code>${e(x.token_id)}</code>`],
    ["credits.amount", (x) => e(x.remaining)], ["credits.price", (x) => e(x.price_per_unit)], ["credits.seller", (x) => e(x.seller)],
  ];
  if (trader) {
    columns.push(["credits.action", (x) => mine(x.seller)
      ? `<button type="button" data-pick="cancel" data-id="${e(x.listing_id)}">${e(t("credits.cancel_button"))}</button>`
      : `<button type="button" data-pick="buy" data-id="${e(x.listing_id)}">${e(t("credits.buy_button"))}</button>`]);
  }
  const listings = zclApp.pagedTable(document.getElementById("listings"), columns,
    (limit, offset) => `/market/listings?limit=${limit}&offset=${offset}`);
  if (!trader) return;

  // what the user holds, offered while typing a token id (a suggestion only: without it the forms still work)
  async function offerHeld() {
    if (!user.address) return;
    try {
      const rows = await zclApp.api("GET", "/credits/holdings");
      document.getElementById("held-tokens").innerHTML = rows.map((h) => `<option value="${e(h.token_id)}">${e(h.amount)} t</option>`).join("");
    } catch (error) {
      document.getElementById("held-tokens").innerHTML = "";
    }
  }
  // after a write: every table and the offered tokens read again, and the holdings named in the message
  async function refreshed(result) {
    for (const table of [holdings, tokens, listings]) if (table) table.reload();
    await offerHeld();
    return {...result, held: await zclForms.holdings()};
  }
  await offerHeld();  // answered before the page says it is rendered
  document.getElementById("listings").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-pick]");
    if (!b) return;
    const form = document.getElementById(b.dataset.pick);
    form.elements.listing_id.value = b.dataset.id;
    (form.elements.amount || form.elements.keystore_password).focus();
  });

  zclApp.bindForm(document.getElementById("sell"), zclForms.explaining(async (v, form) => refreshed(
    await zclApp.api("POST", "/market/listings", {token_id: v.token_id, amount: Number(v.amount), price_per_unit: v.price_per_unit,
                                                  keystore_password: v.keystore_password}, form))),
  (x) => t("credits.listed", {id: x.listing_id, amount: x.remaining, token: x.token_id, price: x.price_per_unit,
                               hash: x.transaction_hash, held: x.held}));
  zclApp.bindForm(document.getElementById("buy"), zclForms.explaining(async (v, form) => refreshed(
    await zclApp.api("POST", `/market/listings/${v.listing_id}/purchase`,
                     {amount: Number(v.amount), keystore_password: v.keystore_password}, form))),
  (p) => t("credits.bought", {amount: p.amount, cost: p.cost, remaining: p.remaining, hash: p.transaction_hash, held: p.held}));
  zclApp.bindForm(document.getElementById("cancel"), zclForms.explaining(async (v, form) => refreshed({
    listing_id: v.listing_id,
    ...await zclApp.api("POST", `/market/listings/${v.listing_id}/cancel`, {keystore_password: v.keystore_password}, form)})),
  (c) => t("credits.cancelled", {id: c.listing_id, hash: c.transaction_hash, held: c.held}));

  // the period: whole days, Beijing time; the end comes after the start (the browser's own range check says so)
  const retire = document.getElementById("retire");
  const periodEnd = () => { if (retire.elements.period_start.value) retire.elements.period_end.min = zclForms.nextDay(retire.elements.period_start.value); };
  for (const event of ["input", "change"]) retire.elements.period_start.addEventListener(event, periodEnd);
  retire.addEventListener("submit", periodEnd);  // before bindForm's check, which runs next
  periodEnd();  // a restored draft
  zclApp.bindForm(retire, zclForms.explaining(async (v, form) => {
    const body = {token_id: v.token_id, amount: Number(v.amount), reason: v.reason.trim(),
                  period_start: zclForms.beijingMidnight(v.period_start), period_end: zclForms.beijingMidnight(v.period_end),
                  keystore_password: v.keystore_password};
    if (v.beneficiary) body.beneficiary = v.beneficiary;
    const retired = await zclApp.api("POST", "/credits/retirements", body, form);
    const certificate = await zclApp.api("GET", `/retirements/${retired.certificate_id}`);
    return refreshed({...retired, transaction_hash: certificate.transaction_hash});
  }), (r) => t("credits.retired_as", {id: r.certificate_id, tonnes: r.tonnes, serials: zclForms.serials(r.ranges),
                                       beneficiary: r.beneficiary, hash: r.transaction_hash, held: r.held}));
});
