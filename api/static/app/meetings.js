// Meetings: the footprint form → the ledger's line-by-line footprint (computed by the API from anchored readings);
// then, for a credit trader, the offset: whole tonnes covering the net footprint retired from its holdings for
// the meeting's claim (signed with its server-side key), once per meeting, with the certificate it received.
zclApp.page("meetings", async (user) => {
  const e = zclApp.esc, t = zclI18n.t;
  const beijing = (local) => local + (local.length === 16 ? ":00" : "") + "+08:00";  // the compound's clock
  function participants(text) {
    return text.split("\n").map((l) => l.trim()).filter(Boolean).map((line) => {
      const [name, mode, km] = line.split(",").map((s) => s.trim());
      return {name: name || "", mode: mode || "", distance_km: km || ""};
    });
  }
  let last = null;
  function render() {
    if (!last) return;
    document.getElementById("result-panel").hidden = false;
    const rows = last.lines.map((l) => `<tr><td>${e(l.category)}</td><td>${e(l.subject)}</td><td class="num">${e(l.amount)} ${e(l.unit)}</td>`
      + `<td>${e(l.factor)}</td><td class="num">${e(l.kgco2e)}</td></tr>`).join("");
    document.getElementById("result").innerHTML = `<table id="lines"><thead><tr><th>${e(t("meetings.category"))}</th><th>${e(t("meetings.subject"))}</th>`
      + `<th class="num">${e(t("meetings.amount"))}</th><th>${e(t("meetings.factor"))}</th><th class="num">kgCO2e</th></tr></thead><tbody>${rows}</tbody></table>`
      + `<p id="totals">${e(t("meetings.totals", {gross: last.gross_kgco2e, offsets: last.offsets_kgco2e, net: last.net_kgco2e, tonnes: last.credits_tonnes}))}</p>`
      + `<p class="muted">${e(t("meetings.claim"))} <code>${e(last.claim_id)}</code></p>`;
  }

  // The offset form carries the meeting it offsets in hidden fields, so a draft saved when the session
  // expired brings the whole offset back after logging in again.
  const offset = document.getElementById("offset");
  const trader = zclForms.may(user, "trade_credits");
  function summary() {
    const f = offset.elements;
    if (!f.claim_id.value) return;
    document.getElementById("offset-summary").textContent = t("meetings.offset_summary", {claim: f.claim_id.value,
      net: f.net.value, tonnes: f.tonnes.value});
  }
  function offerOffset(document_, footprint) {
    const f = offset.elements;
    f.meeting.value = JSON.stringify(document_);
    f.claim_id.value = footprint.claim_id;
    f.tonnes.value = footprint.credits_tonnes;
    f.net.value = footprint.net_kgco2e;
    summary();
    offset.hidden = !trader || Number(footprint.credits_tonnes) === 0;
  }
  zclI18n.onChange(() => { render(); summary(); });
  if (trader && offset.dataset.restored && offset.elements.meeting.value) { summary(); offset.hidden = false; }

  zclApp.bindForm(document.getElementById("meeting"), async (v, form) => {
    const body = {room: Number(v.room), title: v.title, start: beijing(v.start), end: beijing(v.end), sheets: String(v.sheets),
                  participants: participants(v.participants)};
    last = await zclApp.api("POST", "/meetings/footprint", body, form);
    render();
    offerOffset(body, last);
    return last;
  }, (r) => t("meetings.done", {net: r.net_kgco2e}));

  if (!trader) return;
  zclApp.bindForm(offset, zclForms.explaining(async (v, form) => {
    const body = {meeting: JSON.parse(v.meeting), keystore_password: v.keystore_password};
    if (v.token_ids.trim()) body.token_ids = v.token_ids.split(",").map((s) => s.trim());
    if (v.beneficiary) body.beneficiary = v.beneficiary;
    const done = await zclApp.api("POST", `/meetings/${v.claim_id}/offset`, body, form);
    return {...done, held: await zclForms.holdings()};
  }), (o) => t("meetings.offset_done", {id: o.certificate_id, tonnes: o.tonnes, net: o.net_kgco2e,
                                         serials: zclForms.serials(o.ranges), hash: o.transaction_hash, held: o.held}));
});
