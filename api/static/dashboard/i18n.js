// The dashboards' two languages: one dictionary per language, the choice remembered in localStorage.
// Elements carry data-i18n="key"; scripts call zclI18n.t("key", {name: value}) for text they build.
(function () {
  const STORAGE_KEY = "zcl.lang";
  const DICTIONARIES = {
    "en": {
      "lang.switch": "中文",
      "nav.dashboards": "Dashboards",
      "nav.explorer": "Auditor's explorer",
      "index.title": "Dashboards",
      "index.institutions": "Institutions' big screens",
      "index.regions": "Regulators' screens",
      "index.loading": "Reading the organisation tree from the chain…",
      "big.title": "Institution big screen",
      "big.as_of": "As of the last anchored reading: {time}",
      "big.realtime": "Real-time",
      "big.load_now": "Grid load now",
      "big.last_hour": "Last hour",
      "big.today": "Today",
      "big.month": "This month",
      "big.year": "This year",
      "big.energy": "Electricity",
      "big.water": "Water",
      "big.carbon": "Carbon",
      "big.intensity": "Intensity (year to date)",
      "big.per_person": "per person ({people} people)",
      "big.per_m2": "per m² ({area} m²)",
      "big.load_chart": "Grid load, last 24 h (kW)",
      "big.daily_chart": "This month by day",
      "big.monthly_chart": "This year by month",
      "big.breakdown": "Year to date by end use (kgCO2e)",
      "big.alarms": "Alarms",
      "big.no_alarms": "No open alarms.",
      "big.measures": "Reduction measures (kgCO2e per year)",
      "big.measures_total": "Estimated total {total} kgCO2e/yr ({methodology}); verified: {verified}",
      "big.not_verified": "none yet",
      "big.certification": "Certification and retirements",
      "big.no_results": "No accounting result submitted yet.",
      "big.results": "Accounting results", "big.certifications": "Certifications", "big.retirements": "Retirements",
      "big.no_credit_contracts": "The credit and certification contracts are not in this deployment.",
      "big.no_certifications": "No certification application yet.", "big.no_retirements": "No credits retired yet.",
      "cert.application": "Application", "cert.level": "Level", "cert.status": "Status", "cert.approvals": "Approvals",
      "cert.valid_until": "Valid until", "cert.pending": "pending", "cert.rejected": "rejected", "cert.certified": "certified",
      "cert.suspended": "suspended", "cert.revoked": "revoked", "cert.expired": "expired",
      "level.low_carbon": "Low-carbon", "level.near_zero_carbon": "Near-zero-carbon", "level.zero_carbon": "Zero-carbon",
      "ret.certificate": "Certificate", "ret.tonnes": "Tonnes", "ret.claim": "Backs", "ret.reason": "Reason",
      "claim.none": "voluntary", "claim.certification_application": "a certification claim", "claim.meeting": "a meeting",
      "big.batches": "{count} anchored batches",
      "big.problem": "Not computed: {problem}",
      "series.kwh": "Electricity (kWh)",
      "series.m3": "Water (m³)",
      "series.kgco2e": "Carbon (kgCO2e)",
      "series.kw": "Load (kW)",
      "use.lighting": "Lighting", "use.hvac": "HVAC", "use.power": "Power", "use.water": "Water", "use.other": "Other",
      "alarm.kind": "Kind", "alarm.severity": "Severity", "alarm.device": "Device", "alarm.raised": "Raised", "alarm.state": "State",
      "result.id": "Result", "result.status": "Status", "result.period": "Period", "result.total": "Total (gCO2e, on chain)",
      "status.submitted": "submitted", "status.final": "final (verified)", "status.rejected": "rejected", "status.superseded": "superseded",
      "region.title": "Regulator's screen",
      "region.tree": "Organisation tree",
      "region.ranking": "Ranking by carbon this year (kgCO2e)",
      "region.institutions": "Institutions",
      "region.rank": "Rank", "region.name": "Institution", "region.year_kg": "Year (kgCO2e)", "region.month_kg": "Month (kgCO2e)",
      "region.per_m2": "per m²", "region.alarms": "Open alarms", "region.open": "Open big screen",
      "region.no_data": "no anchored readings",
      "error.load": "Could not load the data: {reason}",
      "alarmkind.water_leak": "Water leak", "alarmkind.over_current": "Over-current", "alarmkind.residual_current": "Residual current",
      "alarmkind.over_temperature": "Over-temperature", "alarmkind.device_offline": "Device offline", "alarmkind.tamper": "Tamper",
      "alarmkind.counter_reset": "Counter reset", "alarmkind.counter_rollover": "Counter rollover",
      "severity.info": "info", "severity.warning": "warning", "severity.critical": "critical",
      "state.active": "active", "state.acknowledged": "acknowledged", "state.resolved": "resolved",
      "measure.iot_control_strategies": "IoT monitoring and control strategies",
      "measure.split_air_conditioners": "Split air-conditioner replacement",
      "measure.elevator_energy_feedback": "Elevator energy feedback",
      "measure.rooftop_pv": "Rooftop PV",
      "measure.led_garage_lighting": "LED garage lighting (as printed)",
      "measure.rainwater_recovery": "Rainwater recovery",
      "measure.waste_sorting": "Waste sorting",
      "measure.paperless_office": "Paperless office",
      "measure.meeting_paper": "Zero-carbon meeting room: paper",
      "measure.meeting_green_travel": "Meeting participants' green travel",
      "measure.water_saving_fixtures": "Water-saving fixtures",
    },
    "zh-CN": {
      "lang.switch": "English",
      "nav.dashboards": "大屏",
      "nav.explorer": "审计浏览器",
      "index.title": "大屏",
      "index.institutions": "机构大屏",
      "index.regions": "监管大屏",
      "index.loading": "正在从链上读取组织树…",
      "big.title": "机构能碳大屏",
      "big.as_of": "截至最后一条上链读数：{time}",
      "big.realtime": "实时",
      "big.load_now": "当前电网负荷",
      "big.last_hour": "最近一小时",
      "big.today": "今日",
      "big.month": "本月",
      "big.year": "本年",
      "big.energy": "用电",
      "big.water": "用水",
      "big.carbon": "碳排放",
      "big.intensity": "排放强度（年初至今）",
      "big.per_person": "人均（{people} 人）",
      "big.per_m2": "单位面积（{area} m²）",
      "big.load_chart": "电网负荷，最近 24 小时（kW）",
      "big.daily_chart": "本月逐日",
      "big.monthly_chart": "本年逐月",
      "big.breakdown": "年初至今分项排放（kgCO2e）",
      "big.alarms": "告警",
      "big.no_alarms": "暂无未关闭告警。",
      "big.measures": "减排措施（kgCO2e/年）",
      "big.measures_total": "估算合计 {total} kgCO2e/年（{methodology}）；已核证：{verified}",
      "big.not_verified": "暂无",
      "big.certification": "认证与注销",
      "big.no_results": "尚未提交核算结果。",
      "big.results": "核算结果", "big.certifications": "认证", "big.retirements": "碳信用注销",
      "big.no_credit_contracts": "本部署未包含碳信用与认证合约。",
      "big.no_certifications": "尚无认证申请。", "big.no_retirements": "尚无注销记录。",
      "cert.application": "申请", "cert.level": "等级", "cert.status": "状态", "cert.approvals": "审批进度",
      "cert.valid_until": "有效期至", "cert.pending": "审批中", "cert.rejected": "已驳回", "cert.certified": "已认证",
      "cert.suspended": "已暂停", "cert.revoked": "已撤销", "cert.expired": "已过期",
      "level.low_carbon": "低碳", "level.near_zero_carbon": "近零碳", "level.zero_carbon": "零碳",
      "ret.certificate": "注销证书", "ret.tonnes": "吨", "ret.claim": "用于", "ret.reason": "事由",
      "claim.none": "自愿注销", "claim.certification_application": "认证声明", "claim.meeting": "会议",
      "big.batches": "已上链批次 {count} 个",
      "big.problem": "未计算：{problem}",
      "series.kwh": "用电（kWh）",
      "series.m3": "用水（m³）",
      "series.kgco2e": "碳排放（kgCO2e）",
      "series.kw": "负荷（kW）",
      "use.lighting": "照明", "use.hvac": "空调暖通", "use.power": "动力", "use.water": "用水", "use.other": "其他",
      "alarm.kind": "类型", "alarm.severity": "级别", "alarm.device": "设备", "alarm.raised": "发生时间", "alarm.state": "状态",
      "result.id": "结果", "result.status": "状态", "result.period": "核算期", "result.total": "合计（gCO2e，链上）",
      "status.submitted": "已提交", "status.final": "已核证", "status.rejected": "已驳回", "status.superseded": "已被更正",
      "region.title": "监管大屏",
      "region.tree": "组织树",
      "region.ranking": "本年碳排放排名（kgCO2e）",
      "region.institutions": "所辖机构",
      "region.rank": "排名", "region.name": "机构", "region.year_kg": "本年（kgCO2e）", "region.month_kg": "本月（kgCO2e）",
      "region.per_m2": "单位面积", "region.alarms": "未关闭告警", "region.open": "打开机构大屏",
      "region.no_data": "暂无上链读数",
      "error.load": "数据加载失败：{reason}",
      "alarmkind.water_leak": "漏水", "alarmkind.over_current": "过流", "alarmkind.residual_current": "剩余电流",
      "alarmkind.over_temperature": "超温", "alarmkind.device_offline": "设备离线", "alarmkind.tamper": "疑似篡改",
      "alarmkind.counter_reset": "计数器复位", "alarmkind.counter_rollover": "计数器溢出",
      "severity.info": "提示", "severity.warning": "警告", "severity.critical": "严重",
      "state.active": "未处理", "state.acknowledged": "已确认", "state.resolved": "已解决",
      "measure.iot_control_strategies": "物联网监测与控制策略",
      "measure.split_air_conditioners": "分体空调更换",
      "measure.elevator_energy_feedback": "电梯能量回馈",
      "measure.rooftop_pv": "屋顶光伏",
      "measure.led_garage_lighting": "车库 LED 照明（按原文）",
      "measure.rainwater_recovery": "雨水回收",
      "measure.waste_sorting": "垃圾分类",
      "measure.paperless_office": "无纸化办公",
      "measure.meeting_paper": "零碳会议室：节约用纸",
      "measure.meeting_green_travel": "参会人员绿色出行",
      "measure.water_saving_fixtures": "节水器具",
    },
  };
  const listeners = [];

  function current() {
    const saved = localStorage.getItem(STORAGE_KEY);
    if (saved && DICTIONARIES[saved]) return saved;
    return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh-CN" : "en";
  }

  function t(key, values) {
    const text = DICTIONARIES[current()][key] ?? DICTIONARIES.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (values && name in values ? values[name] : `{${name}}`));
  }

  function apply() {
    document.documentElement.lang = current();
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const listener of listeners) listener(current());
  }

  function set(lang) {
    localStorage.setItem(STORAGE_KEY, lang);
    apply();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const button = document.getElementById("lang-switch");
    if (button) button.addEventListener("click", () => set(current() === "en" ? "zh-CN" : "en"));
    apply();
  });

  window.zclI18n = {t, set, current, onChange: (f) => listeners.push(f), languages: Object.keys(DICTIONARIES)};
})();
