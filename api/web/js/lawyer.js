// The lawyer's view: upcoming duties with check-in (position and the station display's
// code) and check-out, offering a swap, the calendar subscription link, open duties to claim,
// the ledger of recent duties, and leave requests.
import { api } from "./api.js";
import { $, fail, fill, h, main } from "./dom.js";
import { dayLabel, hm, iso } from "./format.js";
import { HALF, ROLE } from "./labels.js";
import { leaveSection } from "./leave.js";
import { mySwaps, offerForm } from "./swap.js";
import { claimSection } from "./open.js";
import { ledgerSection } from "./ledger.js";
import { inboxSection, prefsSection } from "./notices.js";

/** `me` is the signed-in lawyer (`GET /me`). */
export async function lawyerView(me) {
  // This view's state: who is signed in.
  const st = { me };
  fill(main(),
    h("section", { class: "card" }, h("h2", {}, "我的值班"), h("div", { id: "duties" }, h("p", { class: "muted" }, "加载中…"))),
    h("section", { class: "card", id: "calendar" }, h("h2", {}, "日历订阅"),
      h("p", { class: "muted" }, "在手机日历中订阅，值班安排变动会自动更新。生成新链接后，旧链接立即失效。"),
      h("button", { id: "feed", onclick: () => feedLink(st) }, "生成订阅链接"), h("div", { id: "feed-link" })),
    mySwaps(me, () => lawyerView(me)),
    claimSection(() => lawyerView(me)),
    ledgerSection(),
    leaveSection(null),
    inboxSection(),
    prefsSection());
  // A link from a message (`#view=swaps`) leads to its part of this one page.
  const part = { swaps: "swaps", leave: "leave", open: "claim", mine: "duties" }[new URLSearchParams(location.hash.slice(1)).get("view")];
  if (part) document.getElementById(part)?.scrollIntoView({ block: "start" });
  const today = iso(new Date());
  const [duties, stations] = await Promise.all([
    api("GET", `/api/v1/me/duties?from=${today}&limit=50`),
    api("GET", "/api/v1/stations?limit=500").catch(() => ({ items: [] })),
  ]);
  const byId = Object.fromEntries(stations.items.map((s) => [s.id, s]));
  const box = $("#duties");
  if (!duties.items.length) {
    fill(box, h("p", {}, "近期没有值班。"));
    return;
  }
  fill(box, ...duties.items.map((d) => dutyCard(d, byId[d.assignment.station_id])));
}

function dutyCard(d, station) {
  const a = d.assignment;
  const key = `duty-${a.station_id}-${a.date}-${a.half_day}-${a.role}`;
  const status = h("div", { class: "muted status" });
  const out = h("button", { class: "secondary checkout", hidden: true }, "签退");
  // The station display's six digits (or the code its QR link carried here).
  const fromLink = new URLSearchParams(location.hash.slice(1));
  const code = h("input", { class: "display-code", name: "display_code", inputmode: "numeric",
    maxlength: 6, size: 8, placeholder: "6位数字", "aria-label": "工作站动态码",
    value: fromLink.get("station") === a.station_id ? fromLink.get("code") || "" : "" });
  const card = h("article", { class: "card duty", "data-duty": key },
    h("div", { class: "when" }, `${dayLabel(a.date)} ${HALF[a.half_day]} · ${ROLE[a.role]}`),
    h("div", {}, station ? `${station.name}（${station.address}）` : a.station_id),
    station ? h("div", { class: "muted" }, `${HALF[a.half_day]} ${hm(station[a.half_day].start)}–${hm(station[a.half_day].end)}`) : null,
    status,
    h("label", { class: "muted" }, "工作站动态码 ", code),
    h("div", { class: "actions" },
      h("button", { class: "checkin", onclick: (e) => checkIn(a, key, status, e.target, out, code.value.trim(), posterCode(a)) }, "签到"),
      out,
      h("button", { class: "secondary", onclick: () => offerForm(a, card, null) }, "换班")));
  return card;
}

/** Where the phone is, or null (no permission, no fix within ten seconds). */
function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 10000 });
  });
}

/** The day's code of the station's printed poster, when the page was opened by scanning it
 *  for this duty's station and day. */
function posterCode(a) {
  const link = new URLSearchParams(location.hash.slice(1));
  return link.get("station") === a.station_id && link.get("date") === a.date ? link.get("qr") : null;
}

async function checkIn(a, key, status, button, out, displayCode, qr) {
  button.disabled = true;
  status.textContent = "正在定位…";
  const pos = await position();
  try {
    const body = { station_id: a.station_id, date: a.date, half_day: a.half_day, role: a.role, method: qr ? "qr" : "app", lat: pos?.lat, lon: pos?.lon };
    if (qr) body.qr_code = qr;
    if (displayCode) body.display_code = displayCode;
    const rec = await api("POST", "/api/v1/checkins", body,
      // The same key for the same duty: a retry (or a second tap) finds the first record.
      { "Idempotency-Key": key });
    const notes = [];
    if (rec.late) notes.push(`迟到 ${rec.minutes_late} 分钟`);
    if (rec.outside_geofence) notes.push("不在站点范围内");
    if (!rec.approved) notes.push("待协调员确认");
    if (rec.proof === "display") notes.push("已核验动态码");
    status.textContent = `已签到 ${new Date(rec.check_in_at).toLocaleTimeString("zh-CN")}${notes.length ? "（" + notes.join("，") + "）" : ""}`;
    out.hidden = false;
    out.onclick = () => checkOut(rec.id, status, out);
  } catch (e) {
    button.disabled = false;
    fail(e, status);
  }
}

async function checkOut(id, status, out) {
  out.disabled = true;
  try {
    const rec = await api("POST", `/api/v1/checkins/${id}/checkout`);
    status.textContent = `已签退 ${new Date(rec.check_out_at).toLocaleTimeString("zh-CN")}`;
  } catch (e) {
    out.disabled = false;
    fail(e, status);
  }
}

async function feedLink(st) {
  try {
    const link = await api("POST", `/api/v1/lawyers/${encodeURIComponent(st.me.lawyer_id)}/feed-token`);
    fill($("#feed-link"),
      h("p", {}, "点击订阅：", h("a", { class: "link", id: "webcal", href: link.webcal_url }, link.webcal_url)),
      h("p", { class: "muted" }, "或在日历应用中添加订阅地址：", h("span", { class: "link" }, link.url)));
  } catch (e) {
    fail(e, $("#feed-link"));
  }
}
