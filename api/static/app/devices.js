// Devices: the institution's registered meters; an institution admin registers devices and rotates keys.
zclApp.page("devices", async (user) => {
  const node = await zclApp.node();
  const e = zclApp.esc;
  zclApp.pagedTable(document.getElementById("devices"), [
    ["devices.device_id", (d) => `<code>${e(d.device_id.slice(0, 18))}…</code>`],
    ["devices.scene", (d) => e(d.scene_id)], ["devices.kind", (d) => e(d.kind)], ["devices.unit", (d) => e(d.unit)],
    ["devices.status", (d) => e(d.status)], ["devices.keys", (d) => e(d.key_count)],
  ], (limit, offset) => `/organizations/${node}/devices?limit=${limit}&offset=${offset}`);
  if (user.role !== "institution_admin") return;
  const register = document.getElementById("register"), rotate = document.getElementById("rotate");
  register.hidden = rotate.hidden = false;
  zclApp.bindForm(register, (v, form) => zclApp.api("POST", `/organizations/${node}/devices`,
    {...v, scene_id: Number(v.scene_id)}, form), (r) => zclI18n.t("form.tx", {hash: r.transaction_hash}));
  zclApp.bindForm(rotate, (v, form) => zclApp.api("POST", `/devices/${v.device_id}/keys`,
    {public_key: v.public_key, valid_from_sequence: Number(v.valid_from_sequence), keystore_password: v.keystore_password}, form),
    (r) => zclI18n.t("form.tx", {hash: r.transaction_hash}));
});
