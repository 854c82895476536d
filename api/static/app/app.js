// The workflow pages' shared module: the session token, API calls with the one error body, form validation in
// the user's language, saving a half-filled form when the session has expired, tables with paging, the nav.
(function () {
  const TOKEN = "zcl.token", ME = "zcl.me", DRAFT = "zcl.draft:";
  const PAGES = ["devices", "alarms", "inspections", "assets", "projects", "certification", "credits", "meetings", "wallet"];

  class ApiError extends Error {
    constructor(status, code, message, details) { super(message); this.status = status; this.code = code; this.details = details; }
  }

  function esc(value) {
    return String(value ?? "—").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  }

  function draftKey(form) { return DRAFT + location.pathname + "#" + form.id; }

  // Passwords are never written to storage: the user types them again.
  function saveDraft(form) {
    const fields = {};
    for (const el of form.elements) if (el.name && el.type !== "password" && el.type !== "submit") fields[el.name] = el.value;
    sessionStorage.setItem(draftKey(form), JSON.stringify(fields));
  }

  function restoreDrafts() {
    for (const form of document.querySelectorAll("form[id]")) {
      const saved = sessionStorage.getItem(draftKey(form));
      if (!saved) continue;
      const fields = JSON.parse(saved);
      for (const [name, value] of Object.entries(fields)) if (form.elements[name]) form.elements[name].value = value;
      sessionStorage.removeItem(draftKey(form));
      form.dataset.restored = "1";
    }
  }

  function toLogin() {
    sessionStorage.removeItem(TOKEN);
    location.href = "/app/login.html?next=" + encodeURIComponent(location.pathname + location.search);
  }

  // One call for every request. On 401 the form (if any) is kept and the user goes to log in again.
  async function api(method, url, body, form) {
    const headers = {Accept: "application/json"};
    const token = sessionStorage.getItem(TOKEN);
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
    const data = await response.json().catch(() => ({}));
    if (response.status === 401 && !url.startsWith("/auth/")) {
      if (form) saveDraft(form);
      toLogin();
      throw new ApiError(401, "unauthorized", "session expired");
    }
    if (!response.ok) {
      const e = data.error || {};
      throw new ApiError(response.status, e.code || "http_" + response.status, e.message || response.statusText, e.details);
    }
    return data;
  }

  function label(el) {
    const l = el.closest("label");
    const span = l && l.querySelector("[data-i18n]");
    return span ? span.textContent : el.name;
  }

  // The browser's constraint checks, reported with our own words in the chosen language.
  function validate(form) {
    for (const el of form.elements) {
      if (!el.name || !el.willValidate) continue;
      const v = el.validity, field = label(el);
      let key = null;
      if (v.valueMissing) key = "form.required";
      else if (v.patternMismatch) key = "form.pattern";
      else if (v.typeMismatch || v.badInput) key = "form.type";
      else if (v.rangeUnderflow) key = "form.min";
      else if (v.rangeOverflow) key = "form.max";
      else if (v.stepMismatch) key = "form.step";
      else if (v.tooLong) key = "form.too_long";
      if (key) {
        el.focus();
        return zclI18n.t(key, {field, hint: el.dataset.hint ? zclI18n.t(el.dataset.hint) : "", min: el.min, max: el.max});
      }
    }
    return null;
  }

  function show(form, kind, text) {
    let box = form.querySelector(".form-message");
    if (!box) { box = document.createElement("div"); box.className = "form-message"; form.appendChild(box); }
    box.className = "form-message " + kind;
    box.textContent = text;
    box.hidden = !text;
  }

  function errorText(error) {
    if (!(error instanceof ApiError)) return zclI18n.t("apierror.network", {reason: error.message});
    const prefix = zclI18n.t("apierror." + error.code) === "apierror." + error.code
      ? zclI18n.t("apierror.other", {code: error.code}) : zclI18n.t("apierror." + error.code);
    return prefix + ": " + error.message;
  }

  // A form whose submit validates, calls `send(values)` and shows the API's error or `done`'s message.
  function bindForm(form, send, done) {
    form.noValidate = true;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const problem = validate(form);
      if (problem) { show(form, "bad", problem); form.dataset.state = "invalid"; return; }
      show(form, "", "");
      form.dataset.state = "sending";
      const values = Object.fromEntries(new FormData(form).entries());
      try {
        const result = await send(values, form);
        form.dataset.state = "done";
        show(form, "good", done ? done(result) : zclI18n.t("form.done"));
      } catch (error) {
        if (error.status === 401) return;
        form.dataset.state = "error";
        form.dataset.errorCode = error.code || "";
        show(form, "bad", errorText(error));
      }
    });
  }

  // A table of a paged list endpoint: `columns` is [[i18n key, item → html]], `url(limit, offset)`.
  function pagedTable(container, columns, url, limit = 10) {
    let offset = 0;
    async function load() {
      container.dataset.loaded = "";
      try {
        const page = await api("GET", url(limit, offset));
        const items = Array.isArray(page) ? page : page.items;
        const total = Array.isArray(page) ? page.length : page.total;
        const head = columns.map(([key]) => `<th>${esc(zclI18n.t(key))}</th>`).join("");
        const rows = items.map((item) => "<tr>" + columns.map(([, cell]) => `<td>${cell(item)}</td>`).join("") + "</tr>").join("");
        container.innerHTML = `<table><thead><tr>${head}</tr></thead><tbody>${rows || `<tr><td colspan="${columns.length}">${esc(zclI18n.t("table.empty"))}</td></tr>`}</tbody></table>`
          + `<div class="pager"><button type="button" data-go="-1" ${offset === 0 ? "disabled" : ""}>‹</button>`
          + `<span>${esc(zclI18n.t("table.range", {from: total ? offset + 1 : 0, to: offset + items.length, total}))}</span>`
          + `<button type="button" data-go="1" ${offset + limit >= total ? "disabled" : ""}>›</button></div>`;
        container.querySelectorAll("[data-go]").forEach((b) => b.addEventListener("click", () => {
          offset = Math.max(0, offset + Number(b.dataset.go) * limit); load();
        }));
        container.dataset.loaded = "1";
      } catch (error) {
        if (error.status === 401) return;
        container.innerHTML = `<div class="form-message bad">${esc(errorText(error))}</div>`;
        container.dataset.loaded = "error";
      }
    }
    zclI18n.onChange(load);
    load();
    return {reload: load, first: () => { offset = 0; return load(); }};  // first: from the first page (new filters)
  }

  // A filter form over a paged table: on submit (checked like any form) `apply("&name=value…")` gets its
  // non-empty fields as a query-string tail.
  function bindFilters(form, apply) {
    form.noValidate = true;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const problem = validate(form);
      if (problem) { show(form, "bad", problem); return; }
      show(form, "", "");
      const query = new URLSearchParams();
      for (const [name, value] of new FormData(form).entries()) if (value) query.set(name, value);
      apply(query.toString() ? "&" + query : "");
    });
  }

  async function me() {
    const cached = sessionStorage.getItem(ME);
    if (cached) return JSON.parse(cached);
    const user = await api("GET", "/users/me");
    sessionStorage.setItem(ME, JSON.stringify(user));
    return user;
  }

  // The node a page lists: ?node=… or the user's own organisation.
  async function node() {
    const q = new URLSearchParams(location.search).get("node");
    if (q) return Number(q);
    const user = await me();
    if (user.org_id) return user.org_id;
    // auditors and buyers have no node of their own: the first institution they may see
    const nodes = await api("GET", "/organizations?limit=500");
    const first = nodes.items.find((n) => n.kind === "institution");
    return first ? first.node_id : null;
  }

  function nav(current) {
    const header = document.createElement("header");
    header.innerHTML = `<h1 data-i18n="app.title">Workflows</h1><nav>`
      + PAGES.map((p) => `<a href="/app/${p}.html" class="${p === current ? "current" : ""}" data-i18n="app.nav.${p}"></a>`).join("")
      + `<a href="/dashboard/" data-i18n="nav.dashboards"></a></nav><span id="who" class="muted"></span>`
      + `<button id="logout" type="button" data-i18n="app.logout">Log out</button>`
      + `<button id="lang-switch" type="button" data-i18n="lang.switch">中文</button>`;
    document.body.prepend(header);
    // i18n.js bound its switch and translated the page before this header existed: do both for the header
    for (const el of header.querySelectorAll("[data-i18n]")) el.textContent = zclI18n.t(el.dataset.i18n);
    header.querySelector("#lang-switch").addEventListener("click", () => zclI18n.set(zclI18n.current() === "en" ? "zh-CN" : "en"));
    header.querySelector("#logout").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(ME); location.href = "/app/login.html";
    });
  }

  // Every workflow page: nav, a session (else login), the restored draft, then the page's own start.
  function page(name, start) {
    document.addEventListener("DOMContentLoaded", async () => {
      nav(name);
      if (!sessionStorage.getItem(TOKEN)) { toLogin(); return; }
      restoreDrafts();
      try {
        const user = await me();
        document.getElementById("who").textContent = `${user.username} · ${zclI18n.t("role." + user.role)}`;
        zclI18n.onChange(() => { document.getElementById("who").textContent = `${user.username} · ${zclI18n.t("role." + user.role)}`; });
        await start(user);
        document.body.dataset.rendered = "1";
      } catch (error) {
        if (error.status === 401) return;
        const box = document.getElementById("error");
        box.hidden = false;
        box.textContent = errorText(error);
        document.body.dataset.rendered = "error";
      }
    });
  }

  function time(seconds) { return seconds ? zclDash.time(seconds) : "—"; }

  window.zclApp = {ApiError, api, bindForm, bindFilters, validate, errorText, pagedTable, me, node, page, esc, time, show,
                   TOKEN, ME, saveDraft, restoreDrafts};
})();
