// The duty ledger (值班台账). A lawyer fills in, on the phone, what happened on each recent
// duty: consultations, plea agreements witnessed, legal-aid applications received with the
// time each was forwarded, and notes. The coordinator's screen lists a month's entries with
// forwards overdue (not forwarded within 24 hours) said in words and highlighted, and rates
// each duty's quality.
import { api, names } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { addDays, dayLabel, iso, thisMonth } from "./format.js";
import { HALF, QUALITY } from "./labels.js";

/** The key of a duty's ledger entry. */
const keyOf = (x) => `${x.station_id}|${x.date}|${x.half_day}`;

/** An instant (ISO, UTC) as the value of a local `datetime-local` input. */
function localInput(t) {
  if (!t) return "";
  const d = new Date(t);
  return `${iso(d)}T${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

/** The value of a `datetime-local` input as an instant, or null when empty. */
const instant = (v) => (v ? new Date(v).toISOString() : null);

/** What an entry says, in a line. */
function summary(e) {
  if (!e) return "未填写";
  const parts = [`咨询 ${e.consultations} 人次`, `认罪认罚具结 ${e.plea_signings} 件`, `法援申请 ${e.applications.length} 件`];
  if (e.overdue_applications) parts.push(`逾期未转交 ${e.overdue_applications} 件`);
  if (e.quality) parts.push(`质量评价：${QUALITY[e.quality] || e.quality}`);
  return `已填写：${parts.join("，")}`;
}

/** The lawyer's section: the primary duties of the last two weeks, each with its ledger. */
export function ledgerSection() {
  const box = h("div", { id: "my-ledger" }, h("p", { class: "muted" }, "加载中…"));
  const section = h("section", { class: "card", id: "ledger" }, h("h2", {}, "值班台账"),
    h("p", { class: "muted" }, "值班结束后请填写台账。收到的法律援助申请须在24小时内转交。"), box);
  loadMine(box);
  return section;
}

async function loadMine(box) {
  const today = iso(new Date());
  try {
    const [duties, entries, stations] = await Promise.all([
      api("GET", `/api/v1/me/duties?from=${addDays(today, -14)}&to=${today}&limit=50`),
      api("GET", "/api/v1/me/ledger?limit=60"),
      api("GET", "/api/v1/stations?limit=500").catch(() => ({ items: [] })),
    ]);
    const byKey = Object.fromEntries(entries.map((e) => [keyOf(e), e]));
    const names = Object.fromEntries(stations.items.map((s) => [s.id, s.name]));
    const mine = duties.items.map((d) => d.assignment).filter((a) => a.role === "primary").reverse();
    if (!mine.length) return fill(box, h("p", { class: "muted" }, "最近两周没有需要填写台账的值班。"));
    fill(box, mine.map((a) => entryCard(a, byKey[keyOf(a)], names[a.station_id] || a.station_id)));
  } catch (e) {
    fail(e, box);
  }
}

function entryCard(a, entry, station) {
  const said = h("div", { class: entry?.overdue_applications ? "error state" : "muted state" }, summary(entry));
  const card = h("article", { class: "card duty ledger-duty", "data-duty": keyOf(a) },
    h("div", { class: "when" }, `${dayLabel(a.date)} ${HALF[a.half_day]} · ${station}`), said,
    h("div", { class: "actions" }, h("button", { class: "fill-ledger", onclick: () => {
      card.querySelector("form")?.remove();
      card.append(ledgerForm(a, entry, (saved) => {
        entry = saved;
        said.className = saved.overdue_applications ? "error state" : "muted state";
        said.textContent = summary(saved);
      }));
    } }, entry ? "修改台账" : "填写台账")));
  return card;
}

/** One application's row of the form. */
function applicationRow(app) {
  const row = h("fieldset", { class: "stack application" }, h("legend", {}, "法律援助申请"),
    h("label", {}, "申请人 ", h("input", { name: "applicant", required: true, maxlength: 100, value: app?.applicant || "" })),
    h("label", {}, "收到时间 ", h("input", { name: "received_at", type: "datetime-local", required: true, value: localInput(app?.received_at) })),
    h("label", {}, "转交时间（未转交可不填） ", h("input", { name: "forwarded_at", type: "datetime-local", value: localInput(app?.forwarded_at) })),
    h("button", { type: "button", class: "secondary", onclick: () => row.remove() }, "删除此申请"));
  return row;
}

function ledgerForm(a, entry, saved) {
  const err = h("p", { class: "error", role: "alert" });
  const apps = h("div", { class: "applications" }, (entry?.applications || []).map(applicationRow));
  const number = (name, label, value) => h("label", {}, label,
    h("input", { name, type: "number", min: 0, max: 500, required: true, inputmode: "numeric", value: value ?? 0 }));
  const form = h("form", { class: "stack ledger-form" },
    number("consultations", "咨询人次 ", entry?.consultations),
    number("plea_signings", "见证认罪认罚具结书（件） ", entry?.plea_signings),
    apps,
    h("button", { type: "button", class: "secondary add-application", onclick: () => apps.append(applicationRow(null)) }, "添加法援申请"),
    h("label", {}, "备注 ", h("textarea", { name: "notes", rows: 3, maxlength: 2000 }, entry?.notes || "")),
    h("button", { type: "submit" }, "保存台账"), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const body = {
      station_id: a.station_id, date: a.date, half_day: a.half_day,
      consultations: Number(form.consultations.value), plea_signings: Number(form.plea_signings.value),
      notes: form.notes.value,
      applications: [...apps.querySelectorAll("fieldset.application")].map((f) => ({
        applicant: f.querySelector("[name=applicant]").value.trim(),
        received_at: instant(f.querySelector("[name=received_at]").value),
        forwarded_at: instant(f.querySelector("[name=forwarded_at]").value),
      })),
    };
    try {
      const out = await api("PUT", "/api/v1/ledger", body);
      saved(out);
      form.remove();
      toast(out.overdue_applications ? `已保存，有 ${out.overdue_applications} 件申请逾期未转交` : "台账已保存");
    } catch (e) {
      fail(e, err);
    }
  });
  return form;
}

/** The coordinator's screen (台账): a month's entries of a centre, rated here. */
export async function ledgerView() {
  const centres = await api("GET", "/api/v1/centres");
  const [stations, known] = await Promise.all([api("GET", "/api/v1/stations?limit=500"), names()]);
  const st = { stations: Object.fromEntries(stations.items.map((s) => [s.id, s.name])), names: known.names, ratingsOn: () => [] };
  fill(main(), h("section", { class: "card", id: "ledger-admin" }, h("h2", {}, "值班台账"),
    h("div", { class: "row" },
      h("label", {}, "中心 ", h("select", { id: "ledger-centre", onchange: () => show(st) },
        centres.map((c) => h("option", { value: c.id }, c.name)))),
      h("label", {}, "月份 ", h("input", { id: "ledger-month", type: "month", value: thisMonth(), onchange: () => show(st) })),
      h("label", {}, h("input", { id: "ledger-overdue-only", type: "checkbox", onchange: () => show(st) }), " 只看逾期未转交")),
    h("p", { class: "muted" }, "法律援助申请收到后24小时内未转交的，标为“逾期”。质量评价计入值班补贴。"),
    h("div", { id: "ledger-list" }, h("p", { class: "muted" }, "加载中…"))));
  await show(st);
}

async function show(st) {
  const box = $("#ledger-list");
  const centre = $("#ledger-centre").value;
  const month = $("#ledger-month").value;
  if (!month) return;
  try {
    const [rows, policies] = await Promise.all([
      api("GET", `/api/v1/ledger?centre_id=${encodeURIComponent(centre)}&month=${month}`),
      api("GET", `/api/v1/centres/${encodeURIComponent(centre)}/subsidy-policies`).catch(() => []),
    ]);
    // Each duty is rated on the scale of the policy in force on its day.
    st.ratingsOn = (date) => Object.keys(policies.filter((p) => p.effective_from <= date).pop()?.quality_pct || {});
    const shown = $("#ledger-overdue-only").checked ? rows.filter((r) => r.overdue_applications) : rows;
    const overdue = rows.reduce((n, r) => n + r.overdue_applications, 0);
    if (!shown.length) return fill(box, h("p", {}, rows.length ? "本月没有逾期未转交的申请。" : "本月还没有台账。"));
    fill(box,
      overdue ? h("p", { class: "error", id: "ledger-overdue" }, `本月共有 ${overdue} 件法律援助申请逾期未转交。`) : null,
      h("div", { class: "grid-wrap" }, h("table", { class: "list", id: "ledger-table" },
        h("thead", {}, h("tr", {}, ["日期", "时段", "工作站", "律师", "咨询", "具结（申报/确认）", "法援申请", "备注", "质量评价"]
          .map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, shown.map((r) => row(st, r))))));
  } catch (e) {
    fail(e, box);
  }
}

function row(st, r) {
  const err = h("span", { class: "error", role: "alert" });
  const select = h("select", { class: "quality", "aria-label": "质量评价" },
    h("option", { value: "" }, "未评价"),
    st.ratingsOn(r.date).map((k) => h("option", { value: k, selected: r.quality === k }, QUALITY[k] || k)));
  select.addEventListener("change", async () => {
    err.textContent = "";
    try {
      await api("PUT", "/api/v1/ledger/quality", { station_id: r.station_id, date: r.date, half_day: r.half_day,
        lawyer_id: r.lawyer_id, quality: select.value || null });
      toast("评价已保存");
    } catch (e) {
      fail(e, err);
    }
  });
  // Which applications are late (the count itself is the server's).
  const late = r.applications.filter((a) => (a.forwarded_at ? new Date(a.forwarded_at) : new Date()) - new Date(a.received_at) > 864e5);
  return h("tr", { "data-lawyer": r.lawyer_id, "data-overdue": r.overdue_applications || null, class: r.overdue_applications ? "overdue" : null },
    h("td", {}, dayLabel(r.date)),
    h("td", {}, HALF[r.half_day]),
    h("td", {}, st.stations[r.station_id] || r.station_id),
    h("td", {}, st.names[r.lawyer_id] ? `${st.names[r.lawyer_id]}（${r.lawyer_id}）` : r.lawyer_id),
    h("td", { class: "num" }, r.consultations),
    h("td", { class: "num" }, `${r.plea_signings} / ${r.confirmed_plea_signings ?? "未确认"}`),
    h("td", {}, r.applications.length ? `${r.applications.length} 件` : "无",
      r.overdue_applications ? h("strong", { class: "error" }, `，逾期未转交 ${r.overdue_applications} 件`) : null,
      late.length ? h("ul", { class: "plain" }, late.map((a) => h("li", {},
        `${a.applicant}：${new Date(a.received_at).toLocaleString("zh-CN")} 收到，${a.forwarded_at ? `${new Date(a.forwarded_at).toLocaleString("zh-CN")} 转交` : "尚未转交"}`))) : null),
    h("td", {}, r.notes),
    h("td", {}, select, err));
}
