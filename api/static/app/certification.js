// Certification: the institution's applications as the chain holds them, and one application's status check.
zclApp.page("certification", async () => {
  const node = await zclApp.node();
  const e = zclApp.esc, t = zclI18n.t;
  zclApp.pagedTable(document.getElementById("applications"), [
    ["cert.application", (a) => "#" + e(a.application_id)], ["cert.level", (a) => e(t("level." + a.level))],
    ["cert.status", (a) => e(t("cert." + a.status))], ["cert.approvals", (a) => `${e(a.approvals)} / ${e(a.stages)}`],
    ["cert.valid_until", (a) => e(zclApp.time(a.valid_until))],
  ], (limit, offset) => `/organizations/${node}/certifications?limit=${limit}&offset=${offset}`);
  zclApp.bindForm(document.getElementById("status"),
    (v, form) => zclApp.api("GET", `/certifications/${v.application_id}/status`, undefined, form),
    (s) => t("certs.status_is", {id: s.application_id, level: t("level." + s.level), status: t("cert." + s.status),
                                 until: zclApp.time(s.valid_until)}));
});
