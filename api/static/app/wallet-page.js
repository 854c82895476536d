// My wallet: connect a browser wallet (EIP-1193), see which account it is against the address the ledger knows
// for you, its credits, and retire credits with a transaction the wallet signs and the API checks and relays.
zclApp.page("wallet", async (user) => {
  const e = zclApp.esc, t = zclI18n.t;
  const connectForm = document.getElementById("connect"), retire = document.getElementById("retire");
  const registered = () => { document.getElementById("registered").textContent = t("wallet.registered", {address: user.address || "—"}); };
  registered(); zclI18n.onChange(registered);
  let holdings = null;
  const accountText = (address) => {
    const same = user.address && address.toLowerCase() === user.address.toLowerCase();
    return t(same ? "wallet.connected" : "wallet.connected_other", {address});
  };
  const shown = () => { if (zclWallet.account()) document.getElementById("account").textContent = accountText(zclWallet.account()); };
  zclI18n.onChange(shown);
  zclApp.bindForm(connectForm, async () => {
    if (!zclWallet.available()) throw new zclApp.ApiError(0, "wallet_missing", "window.ethereum");
    const address = await zclWallet.connect();
    shown();
    document.getElementById("holdings-panel").hidden = false;
    retire.hidden = !["institution_admin", "credit_buyer"].includes(user.role);
    if (!holdings) {
      holdings = zclApp.pagedTable(document.getElementById("holdings"), [
        ["credits.token", (h) => `<code>${e(h.token_id)}</code>`], ["credits.amount", (h) => e(h.amount)],
      ], () => `/credits/holdings?account=${zclWallet.account()}`, 100);
    } else holdings.reload();
    return address;
  }, accountText);
  // dates are whole China Standard Time days (the ledger's calendar, ledger/calendar.py): the period runs from
  // the first day's 00:00 to the last day's 24:00, Beijing time
  const day = (value, end) => Date.parse(value + "T00:00:00+08:00") / 1000 + (end ? 86400 : 0);
  zclApp.bindForm(retire, async (v, form) => {
    const relayed = await zclWallet.retire({...v, period_start: day(v.period_start, false), period_end: day(v.period_end, true)}, form);
    holdings.reload();
    return relayed;
  }, (r) => t("wallet.retired", {hash: r.transaction_hash}));
});
