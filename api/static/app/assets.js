// The asset register: meters, collectors, controllers, air-conditioners, lights… with ratings, filtered and paged;
// institution admins and operators register assets (the API has no edit of an entry yet).
const ASSET_KINDS = ["meter", "collector", "controller", "air_conditioner", "light", "elevator", "water_fixture",
                     "pv_inverter", "smart_socket"];
const ASSET_STATUSES = ["in_service", "standby", "faulty", "retired"];

zclApp.page("assets", async (user) => {
  const node = await zclApp.node();
  const e = zclApp.esc, t = zclI18n.t;
  const options = (select, keys, prefix) => {
    const keep = [...select.querySelectorAll("option[value='']")];
    select.innerHTML = "";
    keep.forEach((o) => select.appendChild(o));
    for (const k of keys) {
      const o = document.createElement("option");
      o.value = k; o.dataset.i18n = prefix + k; o.textContent = t(prefix + k);
      select.appendChild(o);
    }
  };
  for (const s of document.querySelectorAll("select[name=kind]")) options(s, ASSET_KINDS, "assetkind.");
  for (const s of document.querySelectorAll("select[name=status]")) options(s, ASSET_STATUSES, "assetstatus.");

  let filters = "";
  const list = zclApp.pagedTable(document.getElementById("assets"), [
    ["assets.id", (a) => "#" + e(a.id)], ["assets.kind", (a) => e(t("assetkind." + a.kind))], ["assets.name", (a) => e(a.name)],
    ["assets.location", (a) => e(a.location || null)], ["assets.quantity", (a) => e(a.quantity)],
    ["assets.rated_power", (a) => e(a.rated_power_w)], ["assets.capacity", (a) => e(a.cooling_capacity_hp)],
    ["assets.grade", (a) => e(a.efficiency_grade)], ["assets.installed", (a) => e(a.installed_on)],
    ["assets.status", (a) => e(t("assetstatus." + a.status))],
  ], (limit, offset) => `/organizations/${node}/assets?limit=${limit}&offset=${offset}${filters}`);
  const summary = zclApp.pagedTable(document.getElementById("summary"), [
    ["assets.kind", (s) => e(t("assetkind." + s.kind))], ["assets.items", (s) => e(s.items)], ["assets.units", (s) => e(s.units)],
    ["assets.rated_kw", (s) => e(s.rated_power_kw)], ["assets.capacity_total", (s) => e(s.cooling_capacity_hp)],
  ], () => `/organizations/${node}/assets/summary`, 100);

  zclApp.bindFilters(document.getElementById("filter"), (tail) => { filters = tail; list.first(); });

  if (!["institution_admin", "operator"].includes(user.role)) return;
  const form = document.getElementById("asset");
  form.hidden = false;
  zclApp.bindForm(form, async (v, f) => {
    const body = {kind: v.kind, name: v.name, location: v.location, quantity: Number(v.quantity), status: v.status};
    for (const k of ["rated_power_w", "efficiency_grade"]) if (v[k] !== "") body[k] = Number(v[k]);
    for (const k of ["cooling_capacity_hp", "installed_on", "device_id"]) if (v[k] !== "") body[k] = v[k];
    const asset = await zclApp.api("POST", `/organizations/${node}/assets`, body, f);
    list.reload(); summary.reload();
    return asset;
  }, (a) => t("assets.added", {id: a.id}));
});
