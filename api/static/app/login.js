// OAuth2 password login: the token goes to sessionStorage (gone with the tab), then back where the user was.
(function () {
  const next = new URLSearchParams(location.search).get("next");
  const target = next && next.startsWith("/app/") ? next : "/app/devices.html";
  document.addEventListener("DOMContentLoaded", () => {
    const form = document.getElementById("login");
    if (next) document.getElementById("expired").hidden = false;
    zclApp.bindForm(form, async (values) => {
      const response = await fetch("/auth/token", {method: "POST", body: new URLSearchParams(values),
                                                   headers: {Accept: "application/json"}});
      const data = await response.json().catch(() => ({}));
      if (!response.ok) {
        const e = data.error || {};
        throw new zclApp.ApiError(response.status, e.code || "http_" + response.status, e.message || response.statusText);
      }
      sessionStorage.setItem(zclApp.TOKEN, data.access_token);
      sessionStorage.removeItem(zclApp.ME);
      location.href = target;
      return data;
    }, () => zclI18n.t("login.ok"));
    document.body.dataset.rendered = "1";
  });
})();
