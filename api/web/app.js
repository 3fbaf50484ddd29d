// Over the ~600-line sizing rule: one page for three roles; splitting it into ES modules per role comes with the daily-workflow issue (22).
// zhiban web page: coordinators' roster grid, lawyers' duties and check-in, finance
// statements. Plain JavaScript over the public JSON API (/api/v1) with the user's token;
// the token lives in this tab's sessionStorage only.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const main = () => $("#main");

const HALF = { am: "上午", pm: "下午" };
const ROLE = { primary: "值班", backup: "备班" };
const WEEKDAY = ["日", "一", "二", "三", "四", "五", "六"];
const RULES = {
  no_such_slot: "该时段无值班需求",
  unknown_lawyer: "不在律师名册中",
  not_eligible: "资质、语言、执业年限或签约律所不符",
  unavailable: "该时段不可值班（固定不可用、请假或日程冲突）",
  over_filled: "该岗位人数已满",
  double_booked: "同一半天已在其他站点值班",
  over_limit: "超过每日/每周/每月值班上限",
  too_far_apart: "同日上下午站点相距过远",
  pin_dropped: "固定安排被移除",
};
const STATUS = { draft: "草稿", published: "已发布", superseded: "已被替代" };

let token = sessionStorage.getItem("zhiban-token") || "";
let me = null;

// ---- API ----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    const fields = (problem.errors || []).map((e) => `${e.field}：${e.message}`).join("；");
    super(fields || problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body, headers = {}) {
  const init = { method, headers: { Authorization: `Bearer ${token}`, ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!res.ok) throw new ApiError(res.status, data || {});
  return data;
}

async function download(path, filename) {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const blob = await res.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ---- helpers ------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** The rows of a list answer: a page (`items`) or a plain array. */
function items(x) {
  return Array.isArray(x) ? x : x.items || [];
}

/** Replaces `el`'s children, leaving out null and false. */
function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function toast(msg) {
  const t = $("#toast");
  t.textContent = msg;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 3000);
}

function fail(e, where) {
  const msg = e instanceof ApiError ? e.message : "网络错误，请重试";
  if (where) where.textContent = msg;
  toast(msg);
}

function iso(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function parseDate(s) {
  const [y, m, d] = s.split("-").map(Number);
  return new Date(y, m - 1, d);
}

function addDays(s, n) {
  const d = parseDate(s);
  d.setDate(d.getDate() + n);
  return iso(d);
}

function nextMonday() {
  const d = new Date();
  d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
  return iso(d);
}

function signed(x) {
  const r = Math.abs(x) < 0.005 ? 0 : x;
  return `${r >= 0 ? "+" : ""}${r.toFixed(2)}`;
}

function hm(t) {
  return String(t).slice(0, 5);
}

function dayLabel(s) {
  const d = parseDate(s);
  return `${d.getMonth() + 1}月${d.getDate()}日 周${WEEKDAY[d.getDay()]}`;
}

function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}

function violationText(v) {
  const a = v.assignment || {};
  const rule = RULES[v.rule] || v.rule;
  return a.lawyer_id ? `${rule}（${a.lawyer_id}）` : rule;
}

function reasonText(r) {
  if (!r) return "";
  if (r.kind === "no_eligible_lawyer") {
    const later = (r.licensed_later || []).map(([id, date]) => `${id}（${date}起执业）`);
    return later.length ? `无符合条件的律师；执业证日期晚于当日：${later.join("、")}` : "无符合条件的律师";
  }
  if (r.kind === "eligible_unavailable") return `符合条件的 ${r.lawyers.length} 名律师均不可用`;
  if (r.kind === "eligible_at_limits") return `符合条件的 ${r.lawyers.length} 名律师已有值班或达上限`;
  return r.kind;
}

// ---- login --------------------------------------------------------------------------

async function start() {
  $("#logout").addEventListener("click", () => {
    sessionStorage.removeItem("zhiban-token");
    location.reload();
  });
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    token = $("#token").value.trim();
    await enter($("#login-error"));
  });
  if (token) await enter($("#login-error"));
}

async function enter(errorBox) {
  try {
    me = await api("GET", "/api/v1/me");
  } catch (e) {
    token = "";
    sessionStorage.removeItem("zhiban-token");
    errorBox.textContent = e instanceof ApiError && e.status === 401 ? "令牌无效或已被吊销" : "无法连接服务器";
    return;
  }
  sessionStorage.setItem("zhiban-token", token);
  const roleName = { admin: "管理员", coordinator: "协调员", finance: "财务", lawyer: "律师" }[me.role];
  $("#who").textContent = `${me.label}（${roleName}${me.centre_id ? " · " + me.centre_id : ""}${me.lawyer_id ? " · " + me.lawyer_id : ""}）`;
  $("#logout").hidden = false;
  if (me.role === "lawyer") return lawyerView();
  if (me.role === "finance") return financeView();
  return coordinatorView();
}

// ---- coordinator --------------------------------------------------------------------

const C = { centre: null, stations: [], names: {}, firms: {}, version: null, view: null, selected: null };

async function coordinatorView() {
  const m = main();
  fill(m,
    h("section", { class: "card", id: "controls" },
      h("h2", {}, "排班"),
      h("div", { class: "row" },
        h("label", {}, "中心 ", h("select", { id: "centre" })),
        h("label", {}, "开始日期 ", h("input", { id: "from", type: "date", value: nextMonday() })),
        h("label", {}, "周数 ", h("select", { id: "weeks" }, ...[1, 2, 4].map((w) => h("option", { value: w }, `${w} 周`)))),
        h("button", { id: "generate", onclick: generate }, "生成排班"),
        h("label", {}, "已有排班 ", h("select", { id: "rosters", onchange: (e) => e.target.value && openRoster(e.target.value) }))),
      h("div", { class: "row", id: "job", hidden: true },
        h("div", { class: "progress" }, h("div", { id: "bar" })),
        h("span", { id: "job-text", class: "muted" })),
      h("p", { id: "controls-error", class: "error", role: "alert" })),
    h("div", { class: "cols" },
      h("section", { class: "card", id: "roster" }, h("p", { class: "muted" }, "请选择或生成一份排班。")),
      h("aside", { class: "card", id: "slot" }, h("h2", {}, "岗位详情"), h("p", { class: "muted" }, "点击排班表中的岗位，查看可改派的律师。"))),
    h("section", { class: "card", id: "fairness" }, h("h2", {}, "公平性")));
  const centres = await api("GET", "/api/v1/centres");
  const sel = $("#centre");
  for (const c of centres) sel.append(h("option", { value: c.id }, `${c.name}（${c.id}）`));
  sel.addEventListener("change", () => loadCentre(sel.value));
  await loadCentre(sel.value);
}

async function loadCentre(centre) {
  C.centre = centre;
  C.version = null;
  const [stations, lawyers, firms] = await Promise.all([
    api("GET", `/api/v1/stations?centre_id=${encodeURIComponent(centre)}&limit=500`),
    api("GET", `/api/v1/lawyers?limit=500`),
    api("GET", "/api/v1/firms"),
  ]);
  C.stations = stations.items;
  C.names = Object.fromEntries(items(lawyers).map((l) => [l.id, l.name]));
  C.firms = Object.fromEntries(items(firms).map((f) => [f.id, f.name]));
  await listRosters();
}

async function listRosters(select) {
  const r = await api("GET", `/api/v1/rosters?centre_id=${encodeURIComponent(C.centre)}&limit=50`);
  const sel = $("#rosters");
  sel.replaceChildren(h("option", { value: "" }, r.items.length ? "请选择" : "暂无"));
  for (const x of r.items) {
    sel.append(h("option", { value: x.id }, `${x.from} 起 ${x.weeks} 周（#${x.id}）`));
  }
  if (select) sel.value = String(select);
}

async function openRoster(id) {
  const r = await api("GET", `/api/v1/rosters/${id}`);
  const pick = r.versions.find((v) => v.status === "draft") || r.versions.find((v) => v.status === "published") || r.versions[r.versions.length - 1];
  if (pick) await loadVersion(pick.id);
}

async function generate() {
  const err = $("#controls-error");
  err.textContent = "";
  const button = $("#generate");
  button.disabled = true;
  try {
    const job = await api("POST", "/api/v1/rosters", {
      centre_id: C.centre,
      from: $("#from").value,
      weeks: Number($("#weeks").value),
    });
    $("#job").hidden = false;
    const done = await follow(job.id);
    if (done.status === "succeeded") {
      toast("排班已生成");
      await listRosters(done.roster_id);
      await loadVersion(done.version_id);
    } else {
      err.textContent = `生成失败：${done.error || "未知原因"}`;
    }
  } catch (e) {
    fail(e, err);
  } finally {
    button.disabled = false;
  }
}

async function follow(jobId) {
  for (;;) {
    const job = await api("GET", `/api/v1/jobs/${jobId}`);
    const p = job.progress || {};
    const total = p.parts_total || 0;
    const pct = job.status === "succeeded" ? 100 : total ? Math.round((100 * (p.parts_done || 0)) / total) : 5;
    $("#bar").style.width = `${pct}%`;
    const num = (x) => (typeof x === "number" && isFinite(x) ? x.toFixed(2) : "—");
    const gap = typeof p.gap === "number" && isFinite(p.gap) ? `${(p.gap * 100).toFixed(2)}%` : "—";
    const state = { queued: "排队中", running: "求解中", succeeded: "已完成", failed: "失败" }[job.status];
    $("#job-text").textContent = `${state} · 分块 ${p.parts_done || 0}/${total || "?"} · 当前解 ${num(p.incumbent)} · 下界 ${num(p.bound)} · 差距 ${gap} · ${num(p.elapsed_seconds)} 秒`;
    if (job.status === "succeeded" || job.status === "failed") return job;
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function loadVersion(id) {
  const v = await api("GET", `/api/v1/versions/${id}`);
  C.view = v;
  C.version = v.version;
  C.selected = null;
  renderRoster();
  renderFairness();
  fill($("#slot"), h("h2", {}, "岗位详情"), h("p", { class: "muted" }, "点击排班表中的岗位，查看可改派的律师。"));
}

function renderRoster() {
  const { roster, version, assignments } = C.view;
  const report = version.report || {};
  const days = Array.from({ length: roster.weeks * 7 }, (_, i) => addDays(roster.from, i));
  const bySlot = {};
  for (const a of assignments) (bySlot[`${a.station_id}|${a.date}|${a.half_day}`] ||= []).push(a);
  const uncovered = {};
  for (const u of report.uncovered || []) uncovered[`${u.station_id}|${u.date}|${u.half_day}`] = u;
  const head = h("tr", {}, h("th", {}, "站点"), ...days.flatMap((d) => ["am", "pm"].map((hd) => h("th", {}, dayLabel(d), h("br"), HALF[hd]))));
  const rows = C.stations.map((s) =>
    h("tr", {}, h("th", {}, s.name),
      ...days.flatMap((d) => ["am", "pm"].map((hd) => {
        const key = `${s.id}|${d}|${hd}`;
        const list = bySlot[key] || [];
        const u = uncovered[key];
        const cls = ["slot", u ? "uncovered" : "", !list.length && !u ? "closed" : ""].join(" ");
        return h("td", {
          class: cls, "data-slot": key, title: u ? reasonText(u.reason) : "",
          onclick: () => selectSlot(s, d, hd),
        },
        ...list.filter((a) => a.role === "primary").map((a) => h("span", { class: "p" }, C.names[a.lawyer_id] || a.lawyer_id, a.pinned ? " 📌" : "")),
        ...list.filter((a) => a.role === "backup").map((a) => h("span", { class: "b" }, "备 ", C.names[a.lawyer_id] || a.lawyer_id)),
        u ? h("span", { class: "why" }, `缺 ${u.wanted - u.filled + (u.backups_wanted - u.backups_filled)} 人：${reasonText(u.reason)}`) : null);
      }))));
  const status = h("span", { class: `badge ${version.status}`, id: "version-status" }, STATUS[version.status]);
  const actions = h("div", { class: "row" },
    h("strong", {}, `排班 #${roster.id} · 版本 ${version.number} `), status,
    h("span", { class: "muted" }, `已排 ${report.posts_filled ?? "?"}/${report.posts_wanted ?? "?"} 个岗位，备班 ${report.backups_filled ?? "?"}/${report.backups_wanted ?? "?"}，未覆盖 ${(report.uncovered || []).length} 个时段`),
    version.status === "draft" ? h("button", { id: "publish", onclick: publish }, "发布") : null,
    version.status === "published" ? h("button", { class: "secondary", id: "new-draft", onclick: newDraft }, "建立草稿以修改") : null);
  fill($("#roster"), h("h2", {}, `${roster.from} 起 ${roster.weeks} 周`), actions,
    h("div", { class: "grid-wrap" }, h("table", { class: "grid", id: "grid" }, h("thead", {}, head), h("tbody", {}, rows))));
}

async function publish() {
  try {
    await api("POST", `/api/v1/versions/${C.version.id}/publish`);
    toast("已发布");
    await loadVersion(C.version.id);
  } catch (e) {
    fail(e, $("#controls-error"));
  }
}

async function newDraft() {
  try {
    const v = await api("POST", `/api/v1/versions/${C.version.id}/drafts`);
    await loadVersion(v.id);
    toast("已建立草稿");
  } catch (e) {
    fail(e, $("#controls-error"));
  }
}

async function selectSlot(station, date, half) {
  C.selected = { station, date, half };
  for (const td of document.querySelectorAll("td.selected")) td.classList.remove("selected");
  const cell = document.querySelector(`td[data-slot="${station.id}|${date}|${half}"]`);
  if (cell) cell.classList.add("selected");
  const panel = $("#slot");
  const holders = C.view.assignments.filter((a) => a.station_id === station.id && a.date === date && a.half_day === half);
  const u = (C.version.report.uncovered || []).find((x) => x.station_id === station.id && x.date === date && x.half_day === half);
  fill(panel, h("h2", {}, `${station.name} · ${dayLabel(date)} ${HALF[half]}`),
    u ? h("p", { class: "error" }, `未覆盖：${reasonText(u.reason)}`) : null,
    h("p", {}, holders.length ? holders.map((a) => `${ROLE[a.role]}：${C.names[a.lawyer_id] || a.lawyer_id}`).join("，") : "暂无安排"),
    h("div", { id: "suggestions" }, h("p", { class: "muted" }, "正在计算可改派的律师…")));
  const editable = C.version.status === "draft";
  const target = holders.find((a) => a.role === "primary");
  const q = new URLSearchParams({ station_id: station.id, date, half_day: half, role: "primary" });
  if (target) q.set("replace", target.lawyer_id);
  try {
    const list = await api("GET", `/api/v1/versions/${C.version.id}/suggestions?${q}`);
    const ol = h("ol", { class: "suggest" });
    for (const s of list.slice(0, 12)) {
      const label = `${s.name}（${C.firms[s.firm_id] || s.firm_id}）`;
      ol.append(h("li", { class: s.valid ? "valid" : "invalid" },
        h("strong", {}, label), " ",
        h("span", { class: "muted" }, `成本变化 ${signed(s.cost_delta)} · 已值班 ${s.current_load} / 应得 ${s.fair_share.toFixed(1)}`), " ",
        s.valid && editable ? h("button", { class: "assign", onclick: () => reassign(target, s.lawyer_id) }, target ? "改派" : "安排") : null,
        ...s.violations.map((v) => h("span", { class: "violation" }, "✗ ", violationText(v)))));
    }
    fill($("#suggestions"),
      h("h3", {}, target ? `替换 ${C.names[target.lawyer_id] || target.lawyer_id} 的人选（按成本排序）` : "可安排的律师（按成本排序）"),
      editable ? null : h("p", { class: "muted" }, "已发布的版本不能直接修改：请先“建立草稿以修改”。"),
      ol, h("p", { id: "edit-error", class: "error", role: "alert" }));
  } catch (e) {
    fail(e, $("#suggestions"));
  }
}

async function reassign(old, lawyer) {
  const { station, date, half } = C.selected;
  const ops = [];
  if (old) ops.push({ op: "unassign", station_id: station.id, date, half_day: half, lawyer_id: old.lawyer_id, role: "primary" });
  ops.push({ op: "assign", station_id: station.id, date, half_day: half, lawyer_id: lawyer, role: "primary" });
  try {
    const v = await api("POST", `/api/v1/versions/${C.version.id}/edits`, { revision: C.version.revision, operations: ops });
    C.view = v;
    C.version = v.version;
    renderRoster();
    renderFairness();
    toast(`已改派给 ${C.names[lawyer] || lawyer}`);
    await selectSlot(station, date, half);
  } catch (e) {
    const box = $("#edit-error");
    if (e instanceof ApiError && e.problem.violations) {
      fill(box, "不能保存：", ...e.problem.violations.map((v) => h("span", { class: "violation" }, "✗ ", violationText(v))));
    } else {
      fail(e, box);
    }
  }
}

function bars(rows, width) {
  // rows: [{label, value, target}]
  const max = Math.max(1, ...rows.map((r) => Math.max(r.value, r.target)));
  const lh = 18;
  const left = 110;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", rows.length * lh + 8);
  svg.setAttribute("role", "img");
  const scale = (x) => left + ((width - left - 50) * x) / max;
  rows.forEach((r, i) => {
    const y = i * lh + 4;
    const add = (tag, attrs, text) => {
      const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
      for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
      if (text !== undefined) el.textContent = text;
      svg.append(el);
    };
    add("text", { x: 0, y: y + 12 }, r.label);
    add("rect", { x: left, y: y + 2, width: Math.max(0, scale(r.value) - left), height: lh - 6, fill: r.value > r.target + 1 ? "#f0a35e" : "#2f80ed" });
    add("line", { x1: scale(r.target), x2: scale(r.target), y1: y, y2: y + lh - 2, stroke: "#1f2933", "stroke-width": 2 });
    add("text", { x: scale(Math.max(r.value, r.target)) + 4, y: y + 12 }, `${r.value} / ${r.target.toFixed(1)}`);
  });
  return svg;
}

function renderFairness() {
  const report = C.version.report || {};
  const lawyers = (report.lawyers || []).map((l) => ({
    label: C.names[l.lawyer_id] || l.lawyer_id,
    value: l.primary + l.backup + (l.history || 0),
    target: l.fair_share + (l.history || 0),
  }));
  const firms = (report.firms || []).map((f) => ({ label: C.firms[f.firm_id] || f.firm_id, value: f.load, target: f.fair_share }));
  fill($("#fairness"), h("h2", {}, "公平性"),
    h("p", { class: "muted" }, "条形为值班次数（含历史），竖线为按可值班时间计算的应得份额；律所份额按在册律师人数分配。"),
    h("h3", {}, "律师"), lawyers.length ? bars(lawyers, 560) : h("p", {}, "无"),
    h("h3", {}, "律所"), firms.length ? bars(firms, 560) : h("p", {}, "无"));
}

// ---- lawyer -------------------------------------------------------------------------

async function lawyerView() {
  const m = main();
  fill(m,
    h("section", { class: "card" }, h("h2", {}, "我的值班"), h("div", { id: "duties" }, h("p", { class: "muted" }, "加载中…"))),
    h("section", { class: "card", id: "calendar" }, h("h2", {}, "日历订阅"),
      h("p", { class: "muted" }, "在手机日历中订阅，值班安排变动会自动更新。生成新链接后，旧链接立即失效。"),
      h("button", { id: "feed", onclick: feedLink }, "生成订阅链接"), h("div", { id: "feed-link" })));
  const today = iso(new Date());
  const [duties, stations] = await Promise.all([
    api("GET", `/api/v1/me/duties?from=${today}&limit=50`),
    api("GET", "/api/v1/stations?limit=500").catch(() => ({ items: [] })),
  ]);
  const names = Object.fromEntries(stations.items.map((s) => [s.id, s]));
  const box = $("#duties");
  if (!duties.items.length) {
    fill(box, h("p", {}, "近期没有值班。"));
    return;
  }
  fill(box, ...duties.items.map((d) => dutyCard(d, names[d.assignment.station_id])));
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
      h("button", { class: "checkin", onclick: (e) => checkIn(a, key, status, e.target, out, code.value.trim()) }, "签到"),
      out,
      h("button", { class: "secondary", onclick: () => offerSwap(a, card) }, "换班")));
  return card;
}

function position() {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null);
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lat: p.coords.latitude, lon: p.coords.longitude }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: 10000 });
  });
}

async function checkIn(a, key, status, button, out, displayCode) {
  button.disabled = true;
  status.textContent = "正在定位…";
  const pos = await position();
  try {
    const body = { station_id: a.station_id, date: a.date, half_day: a.half_day, role: a.role, method: "app", lat: pos?.lat, lon: pos?.lon };
    if (displayCode) body.display_code = displayCode;
    const rec = await api("POST", "/api/v1/checkins", body,
      // The same key for the same duty: a retry (or a second tap) finds the first record.
      { "Idempotency-Key": key });
    const rec1 = rec;
    const notes = [];
    if (rec1.late) notes.push(`迟到 ${rec1.minutes_late} 分钟`);
    if (rec1.outside_geofence) notes.push("不在站点范围内");
    if (!rec1.approved) notes.push("待协调员确认");
    if (rec1.proof === "display") notes.push("已核验动态码");
    status.textContent = `已签到 ${new Date(rec1.check_in_at).toLocaleTimeString("zh-CN")}${notes.length ? "（" + notes.join("，") + "）" : ""}`;
    out.hidden = false;
    out.onclick = () => checkOut(rec1.id, status, out);
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

function offerSwap(a, card) {
  if (card.querySelector("form")) return;
  const err = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "row swap" },
    h("label", {}, "接班律师编号 ", h("input", { name: "to", required: true, placeholder: "如 CH-L05", size: 10 })),
    h("label", {}, "说明 ", h("input", { name: "note", placeholder: "可选" })),
    h("button", { type: "submit" }, "提交换班申请"), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("POST", "/api/v1/swaps", {
        station_id: a.station_id, date: a.date, half_day: a.half_day, role: a.role,
        to_lawyer_id: form.to.value.trim(), note: form.note.value,
      });
      form.replaceWith(h("p", {}, "换班申请已提交，等待对方确认和协调员批准。"));
    } catch (e) {
      fail(e, err);
    }
  });
  card.append(form);
}

async function feedLink() {
  try {
    const link = await api("POST", `/api/v1/lawyers/${encodeURIComponent(me.lawyer_id)}/feed-token`);
    fill($("#feed-link"),
      h("p", {}, "点击订阅：", h("a", { class: "link", id: "webcal", href: link.webcal_url }, link.webcal_url)),
      h("p", { class: "muted" }, "或在日历应用中添加订阅地址：", h("span", { class: "link" }, link.url)));
  } catch (e) {
    fail(e, $("#feed-link"));
  }
}

// ---- finance ------------------------------------------------------------------------

async function financeView() {
  const now = new Date();
  const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const m = main();
  fill(m, h("section", { class: "card" }, h("h2", {}, "值班补贴"),
    h("div", { class: "row" },
      h("label", {}, "中心 ", h("select", { id: "fin-centre" })),
      h("label", {}, "月份 ", h("input", { id: "month", type: "month", value: month })),
      h("button", { id: "show", onclick: statement }, "查看"),
      h("button", { class: "secondary", id: "csv", onclick: () => exportAs("csv") }, "导出 CSV"),
      h("button", { class: "secondary", id: "xlsx", onclick: () => exportAs("xlsx") }, "导出 Excel"),
      h("button", { id: "approve", onclick: approve }, "审核通过本月")),
    h("p", { id: "fin-error", class: "error", role: "alert" }),
    h("div", { id: "statement" })));
  const [centres, lawyers, firms] = await Promise.all([
    api("GET", "/api/v1/centres"),
    api("GET", "/api/v1/lawyers?limit=500"),
    api("GET", "/api/v1/firms"),
  ]);
  C.names = Object.fromEntries(items(lawyers).map((l) => [l.id, l.name]));
  C.firms = Object.fromEntries(items(firms).map((f) => [f.id, f.name]));
  for (const c of centres) $("#fin-centre").append(h("option", { value: c.id }, c.name));
  await statement();
}

function finPath() {
  return `/api/v1/statements/${encodeURIComponent($("#fin-centre").value)}/${$("#month").value}`;
}

async function statement() {
  $("#fin-error").textContent = "";
  try {
    const s = await api("GET", finPath());
    const status = { open: "未审核", locked: "已审核（锁定）" }[s.status] || s.status;
    fill($("#statement"),
      h("p", {}, h("span", { class: "badge", id: "fin-status" }, status), ` 合计 `, h("strong", { id: "total" }, `${yuan(s.total_fen)} 元`),
        s.pending ? h("span", { class: "error" }, `（${s.pending} 条签到待确认）`) : null),
      h("h3", {}, "按律师"),
      h("table", { class: "list", id: "by-lawyer" },
        h("thead", {}, h("tr", {}, h("th", {}, "律师"), h("th", {}, "律所"), h("th", { class: "num" }, "明细条数"), h("th", { class: "num" }, "金额（元）"))),
        h("tbody", {}, ...s.lawyers.map((l) => h("tr", {}, h("td", {}, C.names[l.lawyer_id] || l.lawyer_id), h("td", {}, C.firms[l.firm_id] || l.firm_id), h("td", { class: "num" }, l.lines), h("td", { class: "num" }, yuan(l.amount_fen)))))),
      h("h3", {}, "按律所"),
      h("table", { class: "list", id: "by-firm" },
        h("thead", {}, h("tr", {}, h("th", {}, "律所"), h("th", { class: "num" }, "律师人数"), h("th", { class: "num" }, "金额（元）"))),
        h("tbody", {}, ...s.firms.map((f) => h("tr", {}, h("td", {}, C.firms[f.firm_id] || f.firm_id), h("td", { class: "num" }, f.lawyers), h("td", { class: "num" }, yuan(f.amount_fen)))))));
    $("#approve").disabled = s.status !== "open";
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

async function approve() {
  try {
    await api("POST", `${finPath()}/approve`);
    toast("本月已审核，金额锁定");
    await statement();
  } catch (e) {
    fail(e, $("#fin-error"));
  }
}

document.addEventListener("DOMContentLoaded", start);
