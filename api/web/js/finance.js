// The finance view: a centre's monthly subsidy statement by lawyer and firm, its CSV and
// Excel exports, and approving (locking) the month. Directors see it without approving.
import { api, download, names } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { thisMonth, yuan } from "./format.js";
import { STATEMENT_STATUS } from "./labels.js";
import { inboxSection, prefsSection } from "./notices.js";

/** `readOnly` for a director: the statements and their exports, no approval. */
export async function financeView(me, { readOnly = false } = {}) {
  // This view's state: lawyers' and firms' names by id.
  const st = { names: {}, firms: {} };
  fill(main(), h("section", { class: "card" }, h("h2", {}, readOnly ? "值班补贴（只读）" : "值班补贴"),
    h("div", { class: "row" },
      h("label", {}, "中心 ", h("select", { id: "fin-centre" })),
      h("label", {}, "月份 ", h("input", { id: "month", type: "month", value: thisMonth() })),
      h("button", { id: "show", onclick: () => statement(st) }, "查看"),
      h("button", { class: "secondary", id: "csv", onclick: () => exportAs("csv") }, "导出 CSV"),
      h("button", { class: "secondary", id: "xlsx", onclick: () => exportAs("xlsx") }, "导出 Excel"),
      readOnly ? null : h("button", { id: "approve", onclick: () => approve(st) }, "审核通过本月")),
    h("p", { id: "fin-error", class: "error", role: "alert" }),
    h("div", { id: "statement" })), readOnly ? null : inboxSection(), readOnly ? null : prefsSection());
  const [centres, known] = await Promise.all([api("GET", "/api/v1/centres"), names()]);
  st.names = known.names;
  st.firms = known.firms;
  for (const c of centres) $("#fin-centre").append(h("option", { value: c.id }, c.name));
  await statement(st);
}

/** The statement of the centre and month chosen. */
function finPath() {
  return `/api/v1/statements/${encodeURIComponent($("#fin-centre").value)}/${$("#month").value}`;
}

async function statement(st) {
  $("#fin-error").textContent = "";
  try {
    const s = await api("GET", finPath());
    const status = STATEMENT_STATUS[s.status] || s.status;
    fill($("#statement"),
      h("p", {}, h("span", { class: "badge", id: "fin-status" }, status), ` 合计 `, h("strong", { id: "total" }, `${yuan(s.total_fen)} 元`),
        s.pending ? h("span", { class: "error" }, `（${s.pending} 条签到待确认）`) : null),
      h("h3", {}, "按律师"),
      h("table", { class: "list", id: "by-lawyer" },
        h("thead", {}, h("tr", {}, h("th", {}, "律师"), h("th", {}, "律所"), h("th", { class: "num" }, "明细条数"), h("th", { class: "num" }, "金额（元）"))),
        h("tbody", {}, ...s.lawyers.map((l) => h("tr", {}, h("td", {}, st.names[l.lawyer_id] || l.lawyer_id), h("td", {}, st.firms[l.firm_id] || l.firm_id), h("td", { class: "num" }, l.lines), h("td", { class: "num" }, yuan(l.amount_fen)))))),
      h("h3", {}, "按律所"),
      h("table", { class: "list", id: "by-firm" },
        h("thead", {}, h("tr", {}, h("th", {}, "律所"), h("th", { class: "num" }, "律师人数"), h("th", { class: "num" }, "金额（元）"))),
        h("tbody", {}, ...s.firms.map((f) => h("tr", {}, h("td", {}, st.firms[f.firm_id] || f.firm_id), h("td", { class: "num" }, f.lawyers), h("td", { class: "num" }, yuan(f.amount_fen)))))));
    if ($("#approve")) $("#approve").disabled = s.status !== "open";
  } catch (e) {
    fail(e, $("#fin-error"));
  }
}

async function exportAs(kind) {
  try {
    await download(`${finPath()}/${kind}`, `值班补贴-${$("#fin-centre").value}-${$("#month").value}.${kind}`);
    toast("已导出");
  } catch (e) {
    fail(e, $("#fin-error"));
  }
}

async function approve(st) {
  try {
    await api("POST", `${finPath()}/approve`);
    toast("本月已审核，金额锁定");
    await statement(st);
  } catch (e) {
    fail(e, $("#fin-error"));
  }
}
