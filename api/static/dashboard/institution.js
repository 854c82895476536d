// The institution's big screen. Every figure comes from /api/dashboard/institution/{id}, computed by the ledger.
(function () {
  const {t} = zclI18n;
  const {fmt} = zclDash;
  let data = null;

  function periodBlock(p) {
    if (!p) return "";
    const kwh = p.activity["electricity.grid"], water = p.activity["water.supply"];
    const rows = [
      [t("big.energy"), kwh ? fmt(kwh.value) : "—", "kWh"],
      [t("big.water"), water ? fmt(water.value) : "—", "m³"],
      [t("big.carbon"), fmt(p.kgco2e), "kgCO2e"],
    ];
    const problem = p.problem ? `<div class="muted">${escape(t("big.problem", {problem: p.problem}))}</div>` : "";
    return rows.map(([label, v, unit]) => `<div class="muted">${label}</div><div class="figure">${v}<small>${unit}</small></div>`).join("") + problem;
  }

  function escape(text) {
    const div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  function render() {
    if (!data) return;
    document.getElementById("institution-name").textContent = data.institution.name;
    document.getElementById("as-of").textContent = t("big.as_of", {time: zclDash.time(data.as_of)});
    const last = data.load[data.load.length - 1];
    document.getElementById("load-now").innerHTML = last ? `${fmt(last.kw)}<small>kW</small>` : "—";
    document.getElementById("last-hour").innerHTML =
      `${fmt(data.last_hour.kwh)}<small>kWh</small> · ${fmt(data.last_hour.kgco2e)}<small>kgCO2e</small>`;
    for (const key of ["today", "month", "year"]) document.getElementById(`period-${key}`).innerHTML = periodBlock(data.periods[key]);

    const it = data.intensity;
    document.getElementById("intensity").innerHTML = it.problem && !it.per_person
      ? `<div class="muted">${escape(t("big.problem", {problem: it.problem}))}</div>`
      : `<div class="muted">${t("big.per_person", {people: fmt(it.people, 0)})}</div><div class="figure" id="per-person">${fmt(it.per_person, 4)}<small>${it.per_person_unit}</small></div>
         <div class="muted">${t("big.per_m2", {area: fmt(it.area_m2, 2)})}</div><div class="figure" id="per-m2">${fmt(it.per_m2, 4)}<small>${it.per_m2_unit}</small></div>`;

    const axis = {axisLabel: {color: "#8aa4b8"}, splitLine: {lineStyle: {color: "#1e4560"}}};
    const base = {backgroundColor: "transparent", textStyle: {color: "#d8e6f0"}, tooltip: {trigger: "axis"},
                  grid: {left: 60, right: 60, top: 56, bottom: 30}, legend: {top: 0, left: "center", textStyle: {color: "#d8e6f0"}}};

    zclDash.chart("chart-load").setOption({...base,
      xAxis: {type: "time", ...axis}, yAxis: {type: "value", name: "kW", ...axis},
      series: [{name: t("series.kw"), type: "line", showSymbol: false, areaStyle: {opacity: 0.2},
                data: data.load.map((p) => [p.t * 1000, Number(p.kw)])}]}, true);

    function periodChart(id, points) {
      zclDash.chart(id).setOption({...base,
        xAxis: {type: "category", data: points.map((p) => p.first_day), ...axis},
        yAxis: [{type: "value", name: "kWh", ...axis}, {type: "value", name: "kgCO2e", ...axis}],
        series: [{name: t("series.kwh"), type: "bar", data: points.map((p) => (p.kwh === null ? null : Number(p.kwh)))},
                 {name: t("series.kgco2e"), type: "line", yAxisIndex: 1,
                  data: points.map((p) => (p.kgco2e === null ? null : Number(p.kgco2e)))}]}, true);
    }
    periodChart("chart-daily", data.daily);
    periodChart("chart-monthly", data.monthly);

    zclDash.chart("chart-breakdown").setOption({backgroundColor: "transparent", tooltip: {trigger: "item"},
      legend: {bottom: 0, textStyle: {color: "#d8e6f0"}},
      series: [{name: t("big.breakdown"), type: "pie", radius: ["35%", "65%"], label: {color: "#d8e6f0"},
                data: data.breakdown.filter((b) => b.kgco2e !== null)
                  .map((b) => ({name: t(`use.${b.end_use}`), value: Number(b.kgco2e)}))}]}, true);

    const lines = data.measures.lines;
    zclDash.chart("chart-measures").setOption({...base, grid: {left: 230, right: 30, top: 10, bottom: 30},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}},
      xAxis: {type: "value", ...axis}, yAxis: {type: "category", data: lines.map((l) => (t(`measure.${l.measure}`) === `measure.${l.measure}` ? l.title : t(`measure.${l.measure}`))), ...axis, inverse: true},
      series: [{name: "kgCO2e/yr", type: "bar", data: lines.map((l) => Number(l.kgco2e_per_year))}]}, true);
    document.getElementById("measures-total").textContent = t("big.measures_total", {
      total: fmt(data.measures.total_kgco2e_per_year), methodology: data.measures.methodology,
      verified: data.measures.verified === null ? t("big.not_verified") : fmt(data.measures.verified)});

    const alarms = data.alarms.filter((a) => a.state !== "resolved");
    document.getElementById("alarms").innerHTML = alarms.length === 0 ? `<p class="muted">${t("big.no_alarms")}</p>` :
      `<table id="alarm-table"><tr><th>${t("alarm.kind")}</th><th>${t("alarm.severity")}</th><th>${t("alarm.device")}</th><th>${t("alarm.raised")}</th><th>${t("alarm.state")}</th></tr>` +
      alarms.map((a) => `<tr><td title="${escape(a.detail)}">${t(`alarmkind.${a.kind}`)}</td><td class="severity-${escape(a.severity)}">${t(`severity.${a.severity}`)}</td><td>${escape(a.device_id.slice(0, 12))}…</td><td>${zclDash.time(a.raised_at)}</td><td>${t(`state.${a.state}`)}</td></tr>`).join("") + "</table>";

    document.getElementById("results").innerHTML = data.results.length === 0 ? `<p class="muted">${t("big.no_results")}</p>` :
      `<table id="result-table"><tr><th>${t("result.id")}</th><th>${t("result.kind")}</th><th>${t("result.status")}</th><th>${t("result.period")}</th><th class="num">${t("result.total")}</th></tr>` +
      data.results.map((r) => `<tr><td><a href="${r.explorer}">#${r.result_id}</a></td><td class="result-kind result-kind-${escape(r.kind)}">${t(`resultkind.${r.kind}`)}</td><td>${t(`status.${r.status}`)}</td><td>${zclDash.time(r.period_start)} – ${zclDash.time(r.period_end)}</td><td class="num">${fmt(r.gco2e, 0)}</td></tr>`).join("") + "</table>";

    const certs = data.certifications;
    document.getElementById("certifications").innerHTML = certs === null ? `<p class="muted">${t("big.no_credit_contracts")}</p>` :
      certs.length === 0 ? `<p class="muted">${t("big.no_certifications")}</p>` :
      `<table id="certification-table"><tr><th>${t("cert.application")}</th><th>${t("cert.level")}</th><th>${t("cert.status")}</th><th>${t("cert.approvals")}</th><th>${t("cert.valid_until")}</th></tr>` +
      certs.map((c) => `<tr><td>#${c.application_id}</td><td>${t(`level.${c.level}`)}</td><td>${t(`cert.${c.status}`)}</td><td>${c.approvals} / ${c.stages}</td><td>${c.valid_until ? zclDash.time(c.valid_until) : "—"}</td></tr>`).join("") + "</table>";

    const retired = data.retirements;
    document.getElementById("retirements").innerHTML = retired === null ? "" :
      retired.length === 0 ? `<p class="muted">${t("big.no_retirements")}</p>` :
      `<table id="retirement-table"><tr><th>${t("ret.certificate")}</th><th class="num">${t("ret.tonnes")}</th><th>${t("ret.claim")}</th><th>${t("ret.reason")}</th></tr>` +
      retired.map((r) => `<tr><td>#${r.certificate_id}</td><td class="num">${fmt(r.tonnes, 0)}</td><td>${t(`claim.${r.claim_kind}`)}</td><td>${escape(r.reason)}</td></tr>`).join("") + "</table>";
    document.getElementById("batches").textContent = t("big.batches", {count: data.batches});
  }

  zclI18n.onChange(render);
  zclDash.getJson(`/api/dashboard/institution/${zclDash.idFromPath()}`)
    .then((body) => { data = body; render(); document.body.dataset.rendered = "1"; window.zclRenderedAt = performance.now(); })
    .catch((error) => { zclDash.showError(error); document.body.dataset.rendered = "error"; });
})();
