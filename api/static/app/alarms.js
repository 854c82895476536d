// Alarms and work orders: raise an order from an alarm or by hand, respond to it and complete it.
zclApp.page("alarms", async () => {
  const node = await zclApp.node();
  const e = zclApp.esc, t = zclI18n.t;
  let orders;
  const act = async (button, method, url, body) => {
    try {
      await zclApp.api(method, url, body);
      button.closest("section").querySelector(".form-message")?.remove();
      orders.reload(); alarms.reload();
    } catch (error) {
      if (error.status === 401) return;
      const box = document.createElement("div");
      box.className = "form-message bad"; box.textContent = zclApp.errorText(error);
      button.closest("section").querySelector(".form-message")?.remove();
      button.closest("section").appendChild(box);
    }
  };
  const alarmsBox = document.getElementById("alarms"), ordersBox = document.getElementById("orders");
  const alarms = zclApp.pagedTable(alarmsBox, [
    ["alarm.kind", (a) => e(t("alarmkind." + a.kind))], ["alarm.severity", (a) => e(t("severity." + a.severity))],
    ["alarm.raised", (a) => e(zclApp.time(a.raised_at))], ["alarm.state", (a) => e(t("state." + a.state))],
    ["orders.action", (a) => `<button type="button" data-alarm="${a.id}">${e(t("orders.from_alarm"))}</button>`],
  ], (limit, offset) => `/organizations/${node}/alarms?limit=${limit}&offset=${offset}`);
  orders = zclApp.pagedTable(ordersBox, [
    ["orders.id", (o) => "#" + e(o.id)], ["orders.title", (o) => e(o.title)], ["orders.source", (o) => e(t("source." + o.source))],
    ["orders.state", (o) => e(t("wo." + o.state))], ["orders.assignee", (o) => e(o.assignee_id)], ["alarm.raised", (o) => e(zclApp.time(o.raised_at))],
    ["orders.action", (o) => o.state === "assigned" ? `<button type="button" data-respond="${o.id}">${e(t("orders.respond"))}</button>` : ""],
  ], (limit, offset) => `/organizations/${node}/work-orders?limit=${limit}&offset=${offset}`);
  alarmsBox.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-alarm]");
    if (b) act(b, "POST", `/organizations/${node}/alarms/${b.dataset.alarm}/work-orders`);
  });
  ordersBox.addEventListener("click", (ev) => {
    const b = ev.target.closest("[data-respond]");
    if (b) act(b, "POST", `/work-orders/${b.dataset.respond}/respond`, {});
  });
  zclApp.bindForm(document.getElementById("order"), async (v, form) => {
    const body = {title: v.title};
    if (v.asset_id) body.asset_id = Number(v.asset_id);
    const made = await zclApp.api("POST", `/organizations/${node}/work-orders`, body, form);
    orders.reload();
    return made;
  }, (o) => t("orders.raised", {id: o.id}));
  zclApp.bindForm(document.getElementById("assign"), async (v, form) => {
    const done = await zclApp.api("POST", `/work-orders/${v.order_id}/assign`, {assignee_id: Number(v.assignee_id)}, form);
    orders.reload();
    return done;
  }, (o) => t("orders.assigned", {id: o.id}));
  zclApp.bindForm(document.getElementById("complete"), async (v, form) => {
    const done = await zclApp.api("POST", `/work-orders/${v.order_id}/complete`, {resolution: v.resolution}, form);
    orders.reload();
    return done;
  }, (o) => t("orders.completed", {id: o.id}));
});
