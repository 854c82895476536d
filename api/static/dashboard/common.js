// Shared by the dashboards: fetching JSON with a readable error, number formatting, chart registry.
// Figures arrive as decimal strings computed by the ledger; the pages only format them.
window.zclCharts = {};
window.zclDash = {
  async getJson(url) {
    const response = await fetch(url, {headers: {Accept: "application/json"}});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      // every error has the one body {"error": {"code", "message", "details"}} (api/errors.py)
      throw new Error((body.error && body.error.message) || response.statusText);
    }
    return body;
  },
  fmt(value, digits = 1) {
    if (value === null || value === undefined) return "—";
    const n = Number(value);
    return n.toLocaleString(zclI18n.current(), {maximumFractionDigits: digits, minimumFractionDigits: 0});
  },
  time(unixSeconds) {
    return new Date(unixSeconds * 1000).toLocaleString(zclI18n.current(), {timeZone: "Asia/Shanghai", hour12: false});
  },
  chart(id) {
    const el = document.getElementById(id);
    const chart = echarts.getInstanceByDom(el) || echarts.init(el, "dark", {renderer: "canvas"});
    window.zclCharts[id] = chart;
    return chart;
  },
  showError(error) {
    const box = document.getElementById("error");
    box.hidden = false;
    box.textContent = zclI18n.t("error.load", {reason: error.message});
  },
  idFromPath() {
    const parts = location.pathname.replace(/\/$/, "").split("/");
    return Number(parts[parts.length - 1]);
  },
};
window.addEventListener("resize", () => Object.values(window.zclCharts).forEach((c) => c.resize()));
