// Patrol inspections: filtered and paged; an institution admin or operator records one, and a defect raises a
// work order at once (shown on the alarms and work orders page).
zclApp.page("inspections", async (user) => {
  const node = await zclApp.node();
  const e = zclApp.esc, t = zclI18n.t;
  let filters = "";
  const list = zclApp.pagedTable(document.getElementById("inspections"), [
    ["inspections.id", (i) => "#" + e(i.id)], ["inspections.performed", (i) => e(zclApp.time(i.performed_at))],
    ["inspections.asset", (i) => e(i.asset_id)], ["inspections.outcome", (i) => e(t("outcome." + i.outcome))],
    ["inspections.notes", (i) => e(i.notes || null)], ["inspections.inspector", (i) => e(i.inspector_id)],
    ["inspections.work_order", (i) => i.work_order_id ? `<a href="/app/alarms.html">#${e(i.work_order_id)}</a>` : "—"],
  ], (limit, offset) => `/organizations/${node}/inspections?limit=${limit}&offset=${offset}${filters}`);

  zclApp.bindFilters(document.getElementById("filter"), (tail) => { filters = tail; list.first(); });

  if (!["institution_admin", "operator"].includes(user.role)) return;
  const form = document.getElementById("inspection");
  form.hidden = false;
  zclApp.bindForm(form, async (v, f) => {
    const body = {outcome: v.outcome, notes: v.notes};
    if (v.asset_id !== "") body.asset_id = Number(v.asset_id);
    if (v.at) body.at = Math.floor(new Date(v.at).getTime() / 1000);  // local time, as the user typed it
    const inspection = await zclApp.api("POST", `/organizations/${node}/inspections`, body, f);
    list.reload();
    return inspection;
  }, (i) => i.work_order_id ? t("inspections.recorded_defect", {id: i.id, order: i.work_order_id})
    : t("inspections.recorded", {id: i.id}));
});
