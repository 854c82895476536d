// Retrofit projects: the list, a project's signed timeline (a hash chain re-checked on every read), the next step.
zclApp.page("projects", async (user) => {
  const node = await zclApp.node();
  const e = zclApp.esc, t = zclI18n.t;
  let current = Number(new URLSearchParams(location.search).get("project")) || null;
  async function showTimeline() {
    if (!current) return;
    const tl = await zclApp.api("GET", `/projects/${current}/timeline`);
    document.getElementById("timeline-panel").hidden = false;
    document.getElementById("timeline-id").textContent = current;
    document.getElementById("timeline").innerHTML = tl.steps.map((s) => `<li data-step="${e(s.step)}"><b>${e(s.label)}</b> · `
      + `${e(zclApp.time(s.at))} · ${e(s.actor_address)} · ${e(t(s.signature_valid ? "projects.sig_ok" : "projects.sig_bad"))}`
      + `${s.note ? " · " + e(s.note) : ""}<br><code>${e(s.step_hash)}</code></li>`).join("")
      || `<li>${e(t("projects.no_steps"))}</li>`;
    document.getElementById("pending").textContent = t("projects.pending", {steps: tl.pending.map((p) => p.label).join(" → ") || "—"});
    const select = document.querySelector("#step select[name=step]");
    select.innerHTML = tl.pending.slice(0, 1).map((p) => `<option value="${e(p.step)}">${e(p.label)}</option>`).join("");
    document.getElementById("step").hidden = tl.pending.length === 0;
  }
  const list = zclApp.pagedTable(document.getElementById("projects"), [
    ["projects.id", (p) => `<a href="?project=${p.id}" data-project="${p.id}">#${e(p.id)}</a>`], ["projects.title", (p) => e(p.title)],
    ["projects.measure", (p) => e(p.measure)], ["projects.state", (p) => e(p.state)], ["projects.next", (p) => e(p.next_step)],
  ], (limit, offset) => `/organizations/${node}/projects?limit=${limit}&offset=${offset}`);
  document.getElementById("projects").addEventListener("click", (ev) => {
    const a = ev.target.closest("[data-project]");
    if (!a) return;
    ev.preventDefault();
    current = Number(a.dataset.project);
    history.replaceState(null, "", `?project=${current}`);
    showTimeline();
  });
  const signing = zclWallet.toggle(document.getElementById("step"), user);  // EIP-712 in the wallet, or the keystore
  zclApp.bindForm(document.getElementById("step"), async (v, form) => {
    delete v.signing;
    const step = signing.mode() === "wallet" ? await zclWallet.signProjectStep(current, v, form)
      : await zclApp.api("POST", `/projects/${current}/steps`, v, form);
    await showTimeline(); list.reload();
    return step;
  }, (s) => t("projects.signed", {step: s.label}));
  zclApp.bindForm(document.getElementById("create"), async (v, form) => {
    const p = await zclApp.api("POST", `/organizations/${node}/projects`, v, form);
    list.reload();
    return p;
  }, (p) => t("projects.created", {id: p.id}));
  await showTimeline();
});
