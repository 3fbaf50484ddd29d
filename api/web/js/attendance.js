// The coordinator's attendance screen (考勤): a day's published duties with what became of
// each (on time, late, outside the check-in range awaiting approval, not checked in, no-show,
// excused); from it a coordinator approves or rejects (with a reason) an out-of-range
// check-in, records a check-in by hand with a reason, or excuses an absence. It refreshes
// every minute while open, except while the coordinator is typing in the list.
import { api, names } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { iso } from "./format.js";
import { ATTENDANCE, HALF, ROLE } from "./labels.js";

let timer = null;

export async function attendanceView() {
  clearInterval(timer);
  const centres = await api("GET", "/api/v1/centres");
  const [stations, known] = await Promise.all([api("GET", "/api/v1/stations?limit=500"), names()]);
  const st = { stations: Object.fromEntries(stations.items.map((s) => [s.id, s.name])), names: known.names };
  fill(main(), h("section", { class: "card", id: "attendance" }, h("h2", {}, "考勤"),
    h("div", { class: "row" },
      h("label", {}, "中心 ", h("select", { id: "att-centre", onchange: () => show(st) },
        centres.map((c) => h("option", { value: c.id }, c.name)))),
      h("label", {}, "日期 ", h("input", { id: "att-date", type: "date", value: iso(new Date()), onchange: () => show(st) })),
      h("button", { class: "secondary", onclick: () => show(st) }, "刷新")),
    h("p", { class: "muted" }, "每分钟自动刷新。超出签到范围的签到需确认后才计入补贴。"),
    h("div", { class: "row", id: "posters" }, "打印当日签到二维码：",
      stations.items.map((s) => h("button", { class: "secondary poster", "data-station": s.id,
        onclick: () => window.open(`/api/v1/stations/${encodeURIComponent(s.id)}/poster?date=${$("#att-date").value}`, "_blank") }, s.name))),
    h("div", { id: "att-list" }, h("p", { class: "muted" }, "加载中…"))));
  await show(st);
  timer = setInterval(() => {
    if (!document.querySelector("#att-list")) return clearInterval(timer);
    if (document.activeElement?.closest("#att-list")) return;
    show(st);
  }, 60000);
}

/** What a row says of its state, in words (never by colour alone). */
function stateText(d) {
  const r = d.record;
  const words = [ATTENDANCE[d.state] || d.state];
  if (r?.late) words.push(`迟到 ${r.minutes_late} 分钟`);
  if (r?.outside_geofence) words.push(`超出签到范围${r.distance_m ? ` ${Math.round(r.distance_m)} 米` : ""}`);
  if (r?.reason) words.push(`原因：${r.reason}`);
  return words.join("，");
}

async function show(st) {
  const box = $("#att-list");
  const centre = $("#att-centre").value;
  const date = $("#att-date").value;
  try {
    const rows = await api("GET", `/api/v1/attendance?centre_id=${encodeURIComponent(centre)}&from=${date}&to=${date}`);
    if (!rows.length) return fill(box, h("p", {}, "当日没有已发布的值班。"));
    rows.sort((a, b) => (a.duty.half_day + a.duty.station_id).localeCompare(b.duty.half_day + b.duty.station_id));
    fill(box, h("table", { class: "grid", id: "att-table" },
      h("thead", {}, h("tr", {}, ["时段", "工作站", "律师", "角色", "状态", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.map((d) => row(st, d)))));
  } catch (e) {
    fail(e, box);
  }
}

function row(st, d) {
  const a = d.duty;
  const err = h("span", { class: "error", role: "alert" });
  const reason = h("input", { name: "reason", maxlength: 200, placeholder: "原因（必填）", "aria-label": "原因", size: 12 });
  const act = async (what) => {
    try {
      if (what === "approve") await api("POST", `/api/v1/checkins/${d.record.id}/approve`);
      else if (what === "reject") {
        if (!reason.value.trim()) return (err.textContent = "请填写驳回原因");
        await api("POST", `/api/v1/checkins/${d.record.id}/reject`, { reason: reason.value.trim() });
      } else {
        if (!reason.value.trim()) return (err.textContent = "请填写原因");
        const body = { station_id: a.station_id, date: a.date, half_day: a.half_day, role: a.role, lawyer_id: a.lawyer_id, reason: reason.value.trim() };
        if (what === "manual") await api("POST", "/api/v1/checkins/manual", { ...body, check_in_at: d.start, check_out_at: d.end });
        else await api("POST", "/api/v1/absences/excuse", body);
      }
      toast("已保存");
      await show(st);
    } catch (e) {
      fail(e, err);
    }
  };
  const open = !d.record && (d.state === "no_show" || d.state === "upcoming");
  return h("tr", { "data-state": d.state, "data-lawyer": a.lawyer_id },
    h("td", {}, HALF[a.half_day]),
    h("td", {}, st.stations[a.station_id] || a.station_id),
    h("td", {}, st.names[a.lawyer_id] ? `${st.names[a.lawyer_id]}（${a.lawyer_id}）` : a.lawyer_id),
    h("td", {}, ROLE[a.role]),
    h("td", { class: `state ${d.state}` }, stateText(d)),
    h("td", {},
      d.state === "needs_approval" ? [h("button", { class: "approve-checkin", onclick: () => act("approve") }, "确认出勤"),
        reason, h("button", { class: "secondary reject-checkin", onclick: () => act("reject") }, "驳回")] : null,
      // A rejection by mistake is undone while the month is open.
      d.state === "voided" && d.record && !d.record.approved
        ? h("button", { class: "secondary approve-checkin", onclick: () => act("approve") }, "撤销驳回，确认出勤") : null,
      open && a.role === "primary" ? [reason,
        h("button", { class: "secondary manual", onclick: () => act("manual") }, "补录签到"),
        h("button", { class: "secondary excuse", onclick: () => act("excuse") }, "准假")] : null,
      err));
}
