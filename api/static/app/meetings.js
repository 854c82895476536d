// Meetings: the footprint form → the ledger's line-by-line footprint (computed by the API from anchored readings).
zclApp.page("meetings", async () => {
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
  zclI18n.onChange(render);
  zclApp.bindForm(document.getElementById("meeting"), async (v, form) => {
    const body = {room: Number(v.room), title: v.title, start: beijing(v.start), end: beijing(v.end), sheets: String(v.sheets),
                  participants: participants(v.participants)};
    last = await zclApp.api("POST", "/meetings/footprint", body, form);
    render();
    return last;
  }, (r) => t("meetings.done", {net: r.net_kgco2e}));
});
