// The coordinator's view: generate a roster (a solve job with its progress), the grid of
// slots with uncovered ones in red, reassigning a slot from the ranked suggestions,
// publishing, and the fairness chart. Admins see it too; directors see it read-only (no
// generating, publishing, drafting or reassigning), over their centres and those below.
import { api, ApiError, download, names } from "./api.js";
import { $, fill, fail, h, main, toast } from "./dom.js";
import { addDays, dayLabel, nextMonday, signed } from "./format.js";
import { HALF, JOB_STATUS, ROLE, VERSION_STATUS, reasonText, violationText } from "./labels.js";
import { bars } from "./chart.js";

const SLOT_HINT = "点击排班表中的岗位，查看可改派的律师。";

/** `readOnly` for a director: the same grid and charts, nothing that changes them. */
export async function coordinatorView(me, { readOnly = false } = {}) {
  // This view's state: the centre shown, its stations, names by id, the version open
  // (`view` is its answer, `version` its record) and the slot selected.
  const st = { centre: null, stations: [], names: {}, firms: {}, version: null, view: null, selected: null, readOnly };
  fill(main(),
    h("section", { class: "card", id: "controls" },
      h("h2", {}, readOnly ? "排班（只读）" : "排班"),
      readOnly ? h("p", { class: "muted", id: "read-only" }, "您可以查看本中心及下级中心的排班和公平性，不能修改。") : null,
      h("div", { class: "row" },
        h("label", {}, "中心 ", h("select", { id: "centre" })),
        readOnly ? null : h("label", {}, "开始日期 ", h("input", { id: "from", type: "date", value: nextMonday() })),
        readOnly ? null : h("label", {}, "周数 ", h("select", { id: "weeks" }, ...[1, 2, 4, 8, 13, 26].map((w) => h("option", { value: w }, w === 13 ? "13 周（一季度）" : w === 26 ? "26 周（半年）" : `${w} 周`)))),
        readOnly ? null : h("button", { id: "generate", onclick: () => generate(st) }, "生成排班"),
        h("label", {}, "已有排班 ", h("select", { id: "rosters", onchange: (e) => e.target.value && openRoster(st, e.target.value) }))),
      h("div", { class: "row", id: "job", hidden: true },
        h("div", { class: "progress" }, h("div", { id: "bar" })),
        h("span", { id: "job-text", class: "muted" })),
      h("p", { id: "controls-error", class: "error", role: "alert" })),
    h("div", { class: "cols" },
      h("section", { class: "card", id: "roster" }, h("p", { class: "muted" }, "请选择或生成一份排班。")),
      h("aside", { class: "card", id: "slot" }, h("h2", {}, "岗位详情"), h("p", { class: "muted" }, SLOT_HINT))),
    h("section", { class: "card", id: "fairness" }, h("h2", {}, "公平性")));
  const centres = await api("GET", "/api/v1/centres");
  const sel = $("#centre");
  if (!sel) return; // the view was left while loading
  for (const c of centres) sel.append(h("option", { value: c.id }, `${c.name}（${c.id}）`));
  sel.addEventListener("change", () => loadCentre(st, sel.value));
  await loadCentre(st, sel.value);
}

async function loadCentre(st, centre) {
  st.centre = centre;
  st.version = null;
  const [stations, known] = await Promise.all([
    api("GET", `/api/v1/stations?centre_id=${encodeURIComponent(centre)}&limit=500`),
    names(),
  ]);
  st.stations = stations.items;
  st.names = known.names;
  st.firms = known.firms;
  await listRosters(st);
}

async function listRosters(st, select) {
  const r = await api("GET", `/api/v1/rosters?centre_id=${encodeURIComponent(st.centre)}&limit=50`);
  const sel = $("#rosters");
  if (!sel) return; // the view was left while loading
  sel.replaceChildren(h("option", { value: "" }, r.items.length ? "请选择" : "暂无"));
  for (const x of r.items) {
    sel.append(h("option", { value: x.id }, `${x.from} 起 ${x.weeks} 周（#${x.id}）`));
  }
  if (select) sel.value = String(select);
}

async function openRoster(st, id) {
  const r = await api("GET", `/api/v1/rosters/${id}`);
  const draft = st.readOnly ? null : r.versions.find((v) => v.status === "draft");
  const pick = draft || r.versions.find((v) => v.status === "published") || r.versions[r.versions.length - 1];
  if (pick) await loadVersion(st, pick.id);
}

async function generate(st) {
  const err = $("#controls-error");
  err.textContent = "";
  const button = $("#generate");
  button.disabled = true;
  try {
    const job = await api("POST", "/api/v1/rosters", {
      centre_id: st.centre,
      from: $("#from").value,
      weeks: Number($("#weeks").value),
    });
    $("#job").hidden = false;
    const done = await follow(job.id);
    if (done.status === "succeeded") {
      toast("排班已生成");
      await listRosters(st, done.roster_id);
      await loadVersion(st, done.version_id);
    } else {
      err.textContent = `生成失败：${done.error || "未知原因"}`;
    }
  } catch (e) {
    fail(e, err);
  } finally {
    button.disabled = false;
  }
}

/** Shows a job's progress until it ends; the ended job. */
async function follow(jobId) {
  for (;;) {
    const job = await api("GET", `/api/v1/jobs/${jobId}`);
    const p = job.progress || {};
    const total = p.parts_total || 0;
    const pct = job.status === "succeeded" ? 100 : total ? Math.round((100 * (p.parts_done || 0)) / total) : 5;
    $("#bar").style.width = `${pct}%`;
    const num = (x) => (typeof x === "number" && isFinite(x) ? x.toFixed(2) : "—");
    const gap = typeof p.gap === "number" && isFinite(p.gap) ? `${(p.gap * 100).toFixed(2)}%` : "—";
    const state = JOB_STATUS[job.status];
    $("#job-text").textContent = `${state} · 分块 ${p.parts_done || 0}/${total || "?"} · 当前解 ${num(p.incumbent)} · 下界 ${num(p.bound)} · 差距 ${gap} · ${num(p.elapsed_seconds)} 秒`;
    if (job.status === "succeeded" || job.status === "failed") return job;
    await new Promise((r) => setTimeout(r, 400));
  }
}

async function loadVersion(st, id) {
  const v = await api("GET", `/api/v1/versions/${id}`);
  st.view = v;
  st.version = v.version;
  st.selected = null;
  renderRoster(st);
  renderFairness(st);
  fill($("#slot"), h("h2", {}, "岗位详情"), h("p", { class: "muted" }, SLOT_HINT));
}

function renderRoster(st) {
  const { roster, version, assignments } = st.view;
  const report = version.report || {};
  const days = Array.from({ length: roster.weeks * 7 }, (_, i) => addDays(roster.from, i));
  const bySlot = {};
  for (const a of assignments) (bySlot[`${a.station_id}|${a.date}|${a.half_day}`] ||= []).push(a);
  const uncovered = {};
  for (const u of report.uncovered || []) uncovered[`${u.station_id}|${u.date}|${u.half_day}`] = u;
  const name = (id) => st.names[id] || id;
  const head = h("tr", {}, h("th", {}, "站点"), ...days.flatMap((d) => ["am", "pm"].map((hd) => h("th", {}, dayLabel(d), h("br"), HALF[hd]))));
  const rows = st.stations.map((s) =>
    h("tr", {}, h("th", {}, s.name),
      ...days.flatMap((d) => ["am", "pm"].map((hd) => {
        const key = `${s.id}|${d}|${hd}`;
        const list = bySlot[key] || [];
        const u = uncovered[key];
        const cls = ["slot", u ? "uncovered" : "", !list.length && !u ? "closed" : ""].join(" ");
        return h("td", {
          class: cls, "data-slot": key, title: u ? reasonText(u.reason) : "",
          // Reached and opened from the keyboard too (Tab, then Enter or Space).
          tabindex: "0",
          onclick: () => selectSlot(st, s, d, hd),
          onkeydown: (e) => {
            if (e.key === "Enter" || e.key === " ") {
              e.preventDefault();
              selectSlot(st, s, d, hd);
            }
          },
        },
        ...list.filter((a) => a.role === "primary").map((a) => h("span", { class: "p" }, name(a.lawyer_id), a.pinned ? " 📌" : "")),
        ...list.filter((a) => a.role === "backup").map((a) => h("span", { class: "b" }, "备 ", name(a.lawyer_id))),
        u ? h("span", { class: "why" }, `缺 ${u.wanted - u.filled + (u.backups_wanted - u.backups_filled)} 人：${reasonText(u.reason)}`) : null);
      }))));
  const status = h("span", { class: `badge ${version.status}`, id: "version-status" }, VERSION_STATUS[version.status]);
  const actions = h("div", { class: "row" },
    h("strong", {}, `排班 #${roster.id} · 版本 ${version.number} `), status,
    h("span", { class: "muted" }, `已排 ${report.posts_filled ?? "?"}/${report.posts_wanted ?? "?"} 个岗位，备班 ${report.backups_filled ?? "?"}/${report.backups_wanted ?? "?"}，未覆盖 ${(report.uncovered || []).length} 个时段`),
    version.status === "draft" && !st.readOnly ? h("button", { id: "publish", onclick: () => publish(st) }, "发布") : null,
    version.status === "published" && !st.readOnly ? h("button", { class: "secondary", id: "new-draft", onclick: () => newDraft(st) }, "建立草稿以修改") : null,
    h("button", { class: "secondary", id: "export-station", onclick: () => exportRoster(st, "station") }, "导出排班表（Excel）"),
    h("button", { class: "secondary", id: "export-lawyer", onclick: () => exportRoster(st, "lawyer") }, "按律师导出"),
    h("button", { class: "secondary", id: "export-pdf", onclick: () => printRoster(st) }, "打印排班表（PDF）"),
    h("button", { class: "secondary", id: "print-grid", onclick: () => window.print() }, "打印本页"));
  fill($("#roster"), h("h2", {}, `${roster.from} 起 ${roster.weeks} 周`), actions,
    h("div", { class: "grid-wrap" }, h("table", { class: "grid", id: "grid" }, h("thead", {}, head), h("tbody", {}, rows))));
}

async function exportRoster(st, layout) {
  try {
    const v = st.version;
    await download(`/api/v1/versions/${v.id}/export.xlsx?layout=${layout}`, `排班表-${st.centre}-第${v.number}版-${layout === "station" ? "按工作站" : "按律师"}.xlsx`);
    toast("已导出");
  } catch (e) {
    fail(e, $("#controls-error"));
  }
}

/** The server's printed 排班表: a page per station and week (A4 landscape). */
async function printRoster(st) {
  try {
    const v = st.version;
    await download(`/api/v1/versions/${v.id}/export.pdf`, `排班表-${st.centre}-第${v.number}版.pdf`);
    toast("已生成 PDF");
  } catch (e) {
    fail(e, $("#controls-error"));
  }
}

async function publish(st) {
  try {
    await api("POST", `/api/v1/versions/${st.version.id}/publish`);
    toast("已发布");
    await loadVersion(st, st.version.id);
  } catch (e) {
    fail(e, $("#controls-error"));
  }
}

async function newDraft(st) {
  try {
    const v = await api("POST", `/api/v1/versions/${st.version.id}/drafts`);
    await loadVersion(st, v.id);
    toast("已建立草稿");
  } catch (e) {
    fail(e, $("#controls-error"));
  }
}

async function selectSlot(st, station, date, half) {
  st.selected = { station, date, half };
  for (const td of document.querySelectorAll("td.selected")) td.classList.remove("selected");
  const cell = document.querySelector(`td[data-slot="${station.id}|${date}|${half}"]`);
  if (cell) cell.classList.add("selected");
  const name = (id) => st.names[id] || id;
  const holders = st.view.assignments.filter((a) => a.station_id === station.id && a.date === date && a.half_day === half);
  const u = (st.version.report.uncovered || []).find((x) => x.station_id === station.id && x.date === date && x.half_day === half);
  fill($("#slot"), h("h2", {}, `${station.name} · ${dayLabel(date)} ${HALF[half]}`),
    u ? h("p", { class: "error" }, `未覆盖：${reasonText(u.reason)}`) : null,
    h("p", {}, holders.length ? holders.map((a) => `${ROLE[a.role]}：${name(a.lawyer_id)}`).join("，") : "暂无安排"),
    h("div", { id: "suggestions" }, h("p", { class: "muted" }, "正在计算可改派的律师…")));
  const editable = st.version.status === "draft" && !st.readOnly;
  const target = holders.find((a) => a.role === "primary");
  const q = new URLSearchParams({ station_id: station.id, date, half_day: half, role: "primary" });
  if (target) q.set("replace", target.lawyer_id);
  try {
    const list = await api("GET", `/api/v1/versions/${st.version.id}/suggestions?${q}`);
    const ol = h("ol", { class: "suggest" });
    for (const s of list.slice(0, 12)) {
      const label = `${s.name}（${st.firms[s.firm_id] || s.firm_id}）`;
      ol.append(h("li", { class: s.valid ? "valid" : "invalid" },
        h("strong", {}, label), " ",
        h("span", { class: "muted" }, `成本变化 ${signed(s.cost_delta)} · 已值班 ${s.current_load} / 应得 ${s.fair_share.toFixed(1)}`), " ",
        s.valid && editable ? h("button", { class: "assign", onclick: () => reassign(st, target, s.lawyer_id) }, target ? "改派" : "安排") : null,
        ...s.violations.map((v) => h("span", { class: "violation" }, "✗ ", violationText(v)))));
    }
    fill($("#suggestions"),
      h("h3", {}, target ? `替换 ${name(target.lawyer_id)} 的人选（按成本排序）` : "可安排的律师（按成本排序）"),
      editable || st.readOnly ? null : h("p", { class: "muted" }, "已发布的版本不能直接修改：请先“建立草稿以修改”。"),
      ol, h("p", { id: "edit-error", class: "error", role: "alert" }));
  } catch (e) {
    fail(e, $("#suggestions"));
  }
}

async function reassign(st, old, lawyer) {
  const { station, date, half } = st.selected;
  const ops = [];
  if (old) ops.push({ op: "unassign", station_id: station.id, date, half_day: half, lawyer_id: old.lawyer_id, role: "primary" });
  ops.push({ op: "assign", station_id: station.id, date, half_day: half, lawyer_id: lawyer, role: "primary" });
  try {
    const v = await api("POST", `/api/v1/versions/${st.version.id}/edits`, { revision: st.version.revision, operations: ops });
    st.view = v;
    st.version = v.version;
    renderRoster(st);
    renderFairness(st);
    toast(`已改派给 ${st.names[lawyer] || lawyer}`);
    await selectSlot(st, station, date, half);
  } catch (e) {
    const box = $("#edit-error");
    if (e instanceof ApiError && e.problem.violations) {
      fill(box, "不能保存：", ...e.problem.violations.map((v) => h("span", { class: "violation" }, "✗ ", violationText(v))));
    } else {
      fail(e, box);
    }
  }
}

const WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"];
const KIND = { detention_centre: "看守所", court: "法院", procuratorate: "检察院" };

function renderFairness(st) {
  const report = st.version.report || {};
  const all = report.lawyers || [];
  const name = (l) => st.names[l.lawyer_id] || l.lawyer_id;
  // Duties (history included) against their fair share; backups against their own.
  const lawyers = all.map((l) => ({ label: name(l), value: l.primary + (l.history || 0), target: l.fair_share }));
  const backups = all.filter((l) => l.backup || l.backup_share).map((l) => ({ label: name(l), value: l.backup, target: l.backup_share || 0 }));
  const firms = (report.firms || []).map((f) => ({ label: st.firms[f.firm_id] || f.firm_id, value: f.load, target: f.fair_share }));
  const sp = report.spread || {};
  const c = report.components || {};
  const spreadRows = [
    ["连续两天值班", sp.consecutive_days, c.consecutive_days],
    ["集中在某个星期几（超出均匀分布的次数）", sp.weekday_excess, c.weekday_spread],
    ["集中在上午或下午（超出一半的次数）", sp.half_day_excess, c.half_day_spread],
    ["同一律所连续值守同一工作站", sp.firm_consecutive, c.firm_consecutive],
  ];
  const spread = h("table", { id: "spread-table" },
    h("caption", {}, "值班分布（次数越少越好）"),
    h("thead", {}, h("tr", {}, h("th", {}, "项目"), h("th", {}, "次数"), h("th", {}, "计分"))),
    h("tbody", {}, ...spreadRows.map(([label, n, cost]) =>
      h("tr", {}, h("td", {}, label), h("td", { class: n ? "warn" : "" }, `${n ?? 0}`), h("td", {}, (cost ?? 0).toFixed(1))))));
  // The lawyers whose duties bunch up: on consecutive days, or on one weekday or half-day.
  const bunched = all.filter((l) => l.consecutive_days || l.weekday_excess || l.half_day_excess);
  const days = all.filter((l) => l.primary > 0).map((l) => ({
    label: name(l),
    value: Math.max(...(l.weekdays || [0])),
    target: l.primary / Math.max(1, (l.weekdays || []).filter((n) => n > 0).length || 1),
  }));
  const byWeekday = h("table", { id: "weekday-table" },
    h("caption", {}, bunched.length ? "值班集中的律师（按星期几、上下午统计的值班次数）" : "没有律师的值班集中在连续两天、同一个星期几或同一个半天"),
    h("thead", {}, h("tr", {}, h("th", {}, "律师"), ...WEEKDAYS.map((d) => h("th", {}, `周${d}`)), h("th", {}, "上午"), h("th", {}, "下午"), h("th", {}, "连续两天"))),
    h("tbody", {}, ...bunched.map((l) => h("tr", {}, h("td", {}, name(l)),
      ...(l.weekdays || []).map((n) => h("td", {}, `${n}`)),
      ...(l.half_days || []).map((n) => h("td", {}, `${n}`)),
      h("td", { class: l.consecutive_days ? "warn" : "" }, `${l.consecutive_days}`)))));
  const withKinds = all.filter((l) => (l.kinds || []).length);
  const kinds = withKinds.length ? h("details", {},
    h("summary", {}, "按工作站类型的值班（含历史）与应得份额"),
    h("table", { id: "kind-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "律师"), ...Object.values(KIND).map((k) => h("th", {}, k)))),
      h("tbody", {}, ...withKinds.map((l) => h("tr", {}, h("td", {}, name(l)),
        ...Object.keys(KIND).map((k) => {
          const x = l.kinds.find((y) => y.kind === k) || { duties: 0, fair_share: 0 };
          return h("td", {}, `${x.duties} / ${x.fair_share.toFixed(1)}`);
        })))))) : null;
  fill($("#fairness"), h("h2", {}, "公平性"),
    h("p", { class: "muted" }, "条形为值班次数（含历史），竖线为按可值班时间计算的应得份额；备班单独计算份额；律所份额按在册律师人数分配。"),
    h("h3", {}, "值班分布"), spread,
    days.length ? bars(days, 560, "各律师同一个星期几的最多值班次数（竖线为均匀分布时的次数）") : null,
    byWeekday, kinds,
    h("h3", {}, "律师值班"), lawyers.length ? bars(lawyers, 560, "各律师值班负荷与应有份额（竖线为应有份额）") : h("p", {}, "无"),
    backups.length ? h("h3", {}, "律师备班") : null,
    backups.length ? bars(backups, 560, "各律师备班次数与应有份额（竖线为应有份额）") : null,
    h("h3", {}, "律所"), firms.length ? bars(firms, 560, "各律所值班负荷与应有份额（竖线为应有份额）") : h("p", {}, "无"));
}
