// Certification: the applications under the user's node as the chain holds them and a status check for anyone;
// an institution admin files an application, a regulator decides the current stage and suspends, reinstates
// or revokes a certification (each signed with the user's server-side key; the contract has the last word).
zclApp.page("certification", async (user) => {
  const node = await zclApp.node();
  const e = zclApp.esc, t = zclI18n.t;
  const regulator = zclForms.reveal(user, "decide_certifications", document.getElementById("decide"),
                                    document.getElementById("change"));
  const columns = [
    ["cert.application", (a) => "#" + e(a.application_id)], ["cert.level", (a) => e(t("level." + a.level))],
    ["cert.status", (a) => e(t("cert." + a.status))], ["cert.approvals", (a) => `${e(a.approvals)} / ${e(a.stages)}`],
    ["cert.valid_until", (a) => e(zclApp.time(a.valid_until))],
  ];
  if (regulator) {
    columns.push(["certs.action", (a) => a.status === "pending"
      ? `<button type="button" data-pick="decide" data-id="${e(a.application_id)}">${e(t("certs.decide_short"))}</button>`
      : ["certified", "suspended"].includes(a.status)
        ? `<button type="button" data-pick="change" data-id="${e(a.application_id)}">${e(t("certs.change_short"))}</button>` : ""]);
  }
  const table = zclApp.pagedTable(document.getElementById("applications"), columns,
    (limit, offset) => `/organizations/${node}/certifications?limit=${limit}&offset=${offset}`);
  // a row's button fills the application into the form that acts on it
  document.getElementById("applications").addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-pick]");
    if (!b) return;
    const form = document.getElementById(b.dataset.pick);
    form.elements.application_id.value = b.dataset.id;
    form.elements.reason.focus();
  });

  zclApp.bindForm(document.getElementById("status"),
    (v, form) => zclApp.api("GET", `/certifications/${v.application_id}/status`, undefined, form),
    (s) => t("certs.status_is", {id: s.application_id, level: t("level." + s.level), status: t("cert." + s.status),
                                 until: zclApp.time(s.valid_until)}));

  if (zclForms.reveal(user, "apply_for_certification", document.getElementById("apply"))) {
    zclApp.bindForm(document.getElementById("apply"), zclForms.explaining(async (v, form) => {
      const filed = await zclApp.api("POST", `/organizations/${node}/certifications`, {
        level: v.level, result_id: Number(v.result_id), baseline_result_id: Number(v.baseline_result_id || 0),
        activity: Number(v.activity || 0), baseline_activity: Number(v.baseline_activity || 0),
        document_cid: v.document_cid, keystore_password: v.keystore_password}, form);
      table.reload();
      return filed;
    }), (f) => t("certs.filed", {id: f.application_id, version: f.criteria_version, hash: f.transaction_hash}));
  }
  if (!regulator) return;
  zclApp.bindForm(document.getElementById("decide"), zclForms.explaining(async (v, form) => {
    const done = await zclApp.api("POST", `/certifications/${v.application_id}/decision`, {
      approve: v.approve === "true", reason: v.reason.trim(), document_cid: v.document_cid,
      keystore_password: v.keystore_password}, form);
    const now = await zclApp.api("GET", `/certifications/${v.application_id}`);
    table.reload();
    return {...now, transaction_hash: done.transaction_hash};
  }), (a) => t("certs.decided", {id: a.application_id, status: t("cert." + a.status), approvals: a.approvals,
                                  stages: a.stages, hash: a.transaction_hash}));
  zclApp.bindForm(document.getElementById("change"), zclForms.explaining(async (v, form) => {
    const done = await zclApp.api("POST", `/certifications/${v.application_id}/status`, {
      action: v.action, reason: v.reason.trim(), keystore_password: v.keystore_password}, form);
    table.reload();
    return done;
  }), (c) => t("certs.changed", {id: c.application_id, before: t("cert." + c.before), after: t("cert." + c.after),
                                  hash: c.transaction_hash}));
});
