// The regulator's screen: institutions under a region, their ranking, the tree; a click drills down to a big screen.
(function () {
  const {t} = zclI18n;
  const {fmt} = zclDash;
  let data = null;

  function treeNode(node) {
    return {name: node.name, value: node.id, kind: node.kind, children: node.children.map(treeNode)};
  }

  function render() {
    if (!data) return;
    document.getElementById("region-name").textContent = data.region.name;
    const tree = zclDash.chart("chart-tree");
    tree.setOption({backgroundColor: "transparent", tooltip: {trigger: "item"},
      series: [{type: "tree", orient: "TB", data: [treeNode(data.tree)], top: 30, left: 40, bottom: 30, right: 200,
                initialTreeDepth: -1, symbolSize: 10, expandAndCollapse: false,
                label: {color: "#d8e6f0", position: "right", align: "left", verticalAlign: "middle", distance: 8}}]}, true);
    tree.off("click");
    tree.on("click", (p) => { if (p.data.kind === "institution") location.href = `/dashboard/institution/${p.data.value}`; });

    const ranked = data.institutions.filter((i) => i.year && i.year.kgco2e !== null);
    const ranking = zclDash.chart("chart-ranking");
    ranking.setOption({backgroundColor: "transparent", textStyle: {color: "#d8e6f0"},
      tooltip: {trigger: "axis", axisPointer: {type: "shadow"}}, grid: {left: 200, right: 30, top: 10, bottom: 30},
      xAxis: {type: "value", axisLabel: {color: "#8aa4b8"}},
      yAxis: {type: "category", inverse: true, data: ranked.map((i) => i.name), axisLabel: {color: "#8aa4b8"}},
      series: [{name: t("region.year_kg"), type: "bar", barMaxWidth: 36, data: ranked.map((i) => ({value: Number(i.year.kgco2e), id: i.id}))}]}, true);
    ranking.off("click");
    ranking.on("click", (p) => { location.href = `/dashboard/institution/${p.data.id}`; });

    document.getElementById("institutions").innerHTML =
      `<table id="institution-table"><tr><th>${t("region.rank")}</th><th>${t("region.name")}</th><th class="num">${t("region.year_kg")}</th>` +
      `<th class="num">${t("region.month_kg")}</th><th class="num">${t("region.per_m2")}</th><th class="num">${t("region.alarms")}</th><th></th></tr>` +
      data.institutions.map((i) => `<tr><td>${i.rank}</td><td>${i.name.replace(/</g, "&lt;")}</td>` +
        (i.problem ? `<td colspan="4" class="muted">${t("region.no_data")}</td>` :
          `<td class="num">${fmt(i.year.kgco2e)}</td><td class="num">${fmt(i.month.kgco2e)}</td>` +
          `<td class="num">${i.intensity.per_m2 ? fmt(i.intensity.per_m2, 4) + " " + i.intensity.per_m2_unit : "—"}</td><td class="num">${i.alarms}</td>`) +
        `<td><a class="drill" href="/dashboard/institution/${i.id}">${t("region.open")}</a></td></tr>`).join("") + "</table>";
  }

  zclI18n.onChange(render);
  zclDash.getJson(`/api/dashboard/region/${zclDash.idFromPath()}`)
    .then((body) => { data = body; render(); document.body.dataset.rendered = "1"; })
    .catch((error) => { zclDash.showError(error); document.body.dataset.rendered = "error"; });
})();
