// 统计: the report over months for a centre and the centres below it (coverage, attendance,
// workload, ledger, subsidy), each as a chart with Chinese labels, large enough for a
// projector, with its numbers in words beside the bars and in a table; downloads as Excel
// and CSV. For directors, coordinators and finance officers.
import { api, download } from "./api.js";
import { $, fail, fill, h, toast } from "./dom.js";
import { bars } from "./chart.js";
import { thisMonth, yuan } from "./format.js";

const REASONS = { no_eligible_lawyer: "无符合条件的律师", eligible_unavailable: "符合条件的律师均不可用", eligible_at_limits: "符合条件的律师均已排满" };

const monthsAgo = (n) => {
  const d = new Date();
  d.setDate(1);
  d.setMonth(d.getMonth() - n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
};

const table = (id, caption, head, rows) => h("table", { class: "list report-table", id },
  h("caption", {}, caption),
  h("thead", {}, h("tr", {}, head.map((x) => h("th", { scope: "col" }, x)))),
  h("tbody", {}, rows.map((r) => h("tr", {}, r.map((x, i) => (i === 0 ? h("th", { scope: "row" }, String(x)) : h("td", {}, String(x))))))));

/** The view. */
export async function reportsView() {
  fill($("#main"), h("section", { class: "card", id: "report-controls" }, h("h2", {}, "统计报表"),
    h("div", { class: "row" },
      h("label", {}, "中心 ", h("select", { id: "report-centre" })),
      h("label", {}, "从 ", h("input", { id: "report-from", type: "month", value: monthsAgo(11) })),
      h("label", {}, "到 ", h("input", { id: "report-to", type: "month", value: thisMonth() })),
      h("button", { id: "report-show", onclick: () => show() }, "查看"),
      h("button", { class: "secondary", id: "report-xlsx", onclick: () => save("xlsx") }, "导出 Excel"),
      h("button", { class: "secondary", id: "report-csv", onclick: () => save("csv") }, "导出 CSV")),
    h("p", { class: "muted" }, "统计所选中心及其下属中心（您有权查看的）。选择一整年即为年度统计，导出的 Excel 可直接填入统计报表。"),
    h("p", { id: "report-error", class: "error", role: "alert" })),
  h("div", { id: "report" }));
  const centres = await api("GET", "/api/v1/centres");
  const sel = $("#report-centre");
  if (!sel) return;
  for (const c of centres) sel.append(h("option", { value: c.id }, `${c.name}（${c.id}）`));
  await show();
}

const query = () => `centre_id=${encodeURIComponent($("#report-centre").value)}&from=${$("#report-from").value}&to=${$("#report-to").value}`;

async function save(ext) {
  try {
    await download(`/api/v1/reports/summary.${ext}?${query()}`, `值班统计-${$("#report-centre").value}.${ext}`);
    toast("已导出");
  } catch (e) {
    fail(e, $("#report-error"));
  }
}

async function show() {
  const box = $("#report");
  if (!box) return;
  $("#report-error").textContent = "";
  try {
    const r = await api("GET", `/api/v1/reports/summary?${query()}`);
    fill(box, coverage(r), attendance(r), workload(r), ledger(r), subsidy(r));
  } catch (e) {
    fail(e, $("#report-error"));
  }
}

const width = () => Math.min(900, Math.max(320, ($("#report")?.clientWidth || 900) - 40));

function coverage(r) {
  const months = r.coverage.filter((c) => c.month !== "合计");
  const total = r.coverage[r.coverage.length - 1];
  const reasons = Object.entries(total.by_reason).map(([k, v]) => `${REASONS[k] || k} ${v} 个`).join("，");
  return h("section", { class: "card", id: "report-coverage" }, h("h2", {}, "覆盖率"),
    h("p", {}, `需值班岗位 ${total.wanted} 个，已安排 ${total.filled} 个，未覆盖 ${total.uncovered} 个${reasons ? `（${reasons}）` : ""}。`),
    bars(months.map((m) => ({ label: m.month, value: m.filled, target: m.wanted })), width(), `各月已安排岗位与需值班岗位（竖线为需值班数），共未覆盖 ${total.uncovered} 个`),
    table("coverage-table", "各月覆盖情况", ["月份", "需值班", "已安排", "未覆盖（无人值班）"], r.coverage.map((c) => [c.month, c.wanted, c.filled, c.uncovered])));
}

function attendance(r) {
  const a = r.attendance;
  const rows = [["按时签到", a.on_time], ["迟到", a.late], ["范围外签到（已批准）", a.out_of_fence_approved], ["范围外签到（待审核）", a.out_of_fence_waiting], ["未签到", a.no_show], ["请假（已准）", a.excused]];
  return h("section", { class: "card", id: "report-attendance" }, h("h2", {}, "考勤"),
    h("p", {}, `已过值班 ${a.duties} 次。`),
    bars(rows.map(([label, value]) => ({ label, value, target: null })), width(), `考勤：${rows.map(([l, v]) => `${l} ${v} 次`).join("，")}`),
    table("attendance-table", "考勤情况", ["项目", "次数"], rows));
}

function workload(r) {
  const w = r.workload;
  const top = w.lawyers.slice(0, 30);
  return h("section", { class: "card", id: "report-workload" }, h("h2", {}, "工作量"),
    h("p", {}, `律师值班最多 ${w.max} 次，最少 ${w.min} 次，基尼系数 ${w.gini.toFixed(3)}（0 为完全均衡）。`),
    bars(top.map((l) => ({ label: l.name, value: l.duties, target: l.fair_share })), width(), `律师值班次数与应有份额（前 ${top.length} 名），最多 ${w.max} 次，最少 ${w.min} 次`),
    table("firm-table", "各律所工作量", ["律所", "值班次数", "备班次数", "值班小时", "应有份额"], w.firms.map((f) => [f.name, f.duties, f.backups, f.hours.toFixed(1), f.fair_share.toFixed(1)])),
    h("details", {}, h("summary", {}, `全部 ${w.lawyers.length} 名律师`),
      table("lawyer-table", "各律师工作量（应有份额按各排班的公平份额计算）", ["律师", "值班次数", "备班次数", "值班小时", "应有份额"],
        w.lawyers.map((l) => [l.name, l.duties, l.backups, l.hours.toFixed(1), l.fair_share.toFixed(1)]))));
}

function ledger(r) {
  const l = r.ledger;
  const rows = [["法律咨询", l.consultations], ["见证具结书（已确认）", l.plea_signings_confirmed], ["见证具结书（待确认）", l.plea_signings_unconfirmed],
    ["收到法律援助申请", l.applications_received], ["已转交申请", l.applications_forwarded], ["逾期转交（超过24小时）", l.forwards_overdue]];
  return h("section", { class: "card", id: "report-ledger" }, h("h2", {}, "台账"),
    bars(rows.map(([label, value]) => ({ label, value, target: null })), width(), `台账：${rows.map(([k, v]) => `${k} ${v}`).join("，")}`),
    table("ledger-table", "台账合计", ["项目", "数量"], rows));
}

function subsidy(r) {
  const s = r.subsidy;
  return h("section", { class: "card", id: "report-subsidy" }, h("h2", {}, "值班补贴（已审批）"),
    h("p", {}, `合计 ${yuan(s.total_fen)} 元。未审批的月份不计入。`),
    bars(s.months.map((m) => ({ label: m.month, value: m.fen / 100, target: null })), width(), `各月已审批补贴（元），合计 ${yuan(s.total_fen)} 元`),
    table("subsidy-table", "各月补贴", ["月份", "金额（元）", "已审批中心", "未审批中心"], s.months.map((m) => [m.month, yuan(m.fen), m.approved, m.open])),
    table("subsidy-firms", "各律所补贴", ["律所", "金额（元）"], s.firms.map((f) => [f.name, yuan(f.fen)])),
    table("subsidy-kinds", "各类工作站补贴", ["类型", "金额（元）"], s.station_kinds.map((k) => [k.name, yuan(k.fen)])));
}
