// What the write forms of the certification, credits and meetings pages share, on top of app.js:
// which roles may use a form (api/permissions.py's table, mirrored so nobody is shown a form the API would
// refuse them), a contract's refusal explained in the user's language beside the API's own message, and the
// small conversions those forms need (Beijing dates to unix seconds, serial ranges to text).
(function () {
  // api/permissions.py ALLOWED, for the actions these pages offer
  const MAY = {
    apply_for_certification: ["institution_admin"],
    decide_certifications: ["regulator"],
    trade_credits: ["institution_admin", "credit_buyer"],
  };
  // ICertificationRegistry.Status (ledger/chain/codes.py CertificationStatus): reverts carry the number
  const STATUS = ["none", "pending", "rejected", "certified", "suspended", "revoked", "expired"];
  const STATUS_ARGS = {ApplicationNotPending: [1], CertificationTransitionNotAllowed: [1, 2]};

  function may(user, action) { return (MAY[action] || []).includes(user.role); }

  // Show `elements` only when the user's role may do `action`; answers whether it may.
  function reveal(user, action, ...elements) {
    const ok = may(user, action);
    for (const el of elements) el.hidden = !ok;
    return ok;
  }

  // A revert the API decoded ({details: {error, args}}) told in the user's words, the API's message kept after it.
  function explained(error) {
    const d = error instanceof zclApp.ApiError && error.code === "contract_revert" ? error.details : null;
    if (!d || !d.error) return error;
    const key = "revert." + d.error;
    const values = {};
    (d.args || []).forEach((arg, i) => {
      values[i] = (STATUS_ARGS[d.error] || []).includes(i) ? zclI18n.t("cert." + STATUS[arg]) : arg;
    });
    const text = zclI18n.t(key, values);
    if (text === key) return error;
    return new zclApp.ApiError(error.status, error.code, `${text} (${error.message})`, error.details);
  }

  // A `send` for zclApp.bindForm whose contract refusals come back explained.
  function explaining(send) {
    return async (values, form) => {
      try { return await send(values, form); } catch (error) { throw explained(error); }
    };
  }

  // "2024-01-01" (a date input) → unix seconds at that midnight, Beijing time (the compound's clock).
  function beijingMidnight(date) { return Date.parse(date + "T00:00:00+08:00") / 1000; }

  // The day after a date input's value, as a date input's value (for a `min`).
  function nextDay(date) {
    const d = new Date(Date.parse(date + "T00:00:00Z") + 86_400_000);
    return d.toISOString().slice(0, 10);
  }

  function serials(ranges) {
    return ranges.map((r) => r.first_serial === r.last_serial ? `${r.first_serial}` : `${r.first_serial}–${r.last_serial}`).join(", ");
  }

  // What the user holds now, read after a write: "4 t of token 1844…" for every token, or "nothing".
  async function holdings() {
    const rows = await zclApp.api("GET", "/credits/holdings");
    return rows.length ? rows.map((h) => zclI18n.t("credits.holding", {amount: h.amount, token: h.token_id})).join(", ")
      : zclI18n.t("credits.nothing");
  }

  window.zclForms = {may, reveal, explained, explaining, beijingMidnight, nextDay, serials, holdings};
})();
