// The coordinator's 名册: the centre's lawyers, firms and stations in searchable, sortable
// tables, with forms to add and change them and to set a station's weekly demand. A change
// that takes a lawyer off the panel, adds leave or cuts demand is first checked without
// saving (`dry_run`): the published duties it affects are listed, and saving can also ask
// for the minimal-change repair, a draft to review in 排班.
import { api, download, items } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { dayLabel } from "./format.js";
import { HALF, ROLE, STATION_KIND } from "./labels.js";

const WEEKDAYS = [["Mon", "周一"], ["Tue", "周二"], ["Wed", "周三"], ["Thu", "周四"], ["Fri", "周五"], ["Sat", "周六"], ["Sun", "周日"]];
const hhmm = (t) => String(t || "").slice(0, 5);
const sec = (t) => (t.length === 5 ? `${t}:00` : t);
const hint = (names) => Object.entries(names).slice(0, 3).map(([c, n]) => `${c}=${n}`).join("、");
const list = (s) => s.split(/[,，、\s]+/).map((x) => x.trim()).filter(Boolean);

export async function panelView() {
  const st = { centre: null, lawyers: [], firms: [], stations: [], tab: "lawyers", sort: "id", query: "", labels: { skills: {}, languages: {} } };
  fill(main(),
    h("section", { class: "card", id: "panel" },
      h("h2", {}, "名册"),
      h("div", { class: "row" },
        h("label", {}, "中心 ", h("select", { id: "panel-centre", onchange: (e) => load(st, e.target.value) })),
        ...[["lawyers", "律师"], ["firms", "律所"], ["stations", "工作站"], ["settings", "中心设置"]].map(([k, label]) =>
          h("button", { class: "secondary", id: `tab-${k}`, onclick: () => { Object.assign(st, { tab: k, sort: "id", query: "" }); $("#panel-search").value = ""; fill($("#panel-form")); render(st); } }, label)),
        h("label", {}, "搜索 ", h("input", { id: "panel-search", type: "search", placeholder: "姓名、编号、电话…",
          oninput: (e) => { st.query = e.target.value.trim(); render(st); } }))),
      h("div", { class: "row" },
        h("button", { class: "secondary", id: "panel-export", onclick: () => files(st, "export") }, "下载名册（Excel）"),
        h("button", { class: "secondary", id: "panel-template", onclick: () => files(st, "template") }, "下载空白模板"),
        h("label", {}, "导入 Excel ", h("input", { id: "import-file", type: "file", accept: ".xlsx,.zip" })),
        h("label", {}, "方式 ", h("select", { id: "import-mode" },
          h("option", { value: "merge" }, "合并（新增和修改）"), h("option", { value: "replace" }, "替换（表中没有的律师暂停）"))),
        h("button", { id: "import-preview", onclick: () => importPreview(st) }, "预览导入")),
      h("p", { id: "panel-error", class: "error", role: "alert" }),
      h("div", { id: "import-result" }),
      h("div", { id: "panel-table" }),
      h("div", { id: "panel-form" })));
  const [centres, labels] = await Promise.all([api("GET", "/api/v1/centres"), api("GET", "/api/v1/labels")]);
  st.labels = labels;
  for (const c of centres) $("#panel-centre").append(h("option", { value: c.id }, `${c.name}（${c.id}）`));
  await load(st, $("#panel-centre").value);
}

async function load(st, centre) {
  st.centre = centre;
  const q = `centre_id=${encodeURIComponent(centre)}&limit=500`;
  // The revision first: a change is made against what was read, and refused (409) if the
  // panel moved on since.
  st.revision = (await api("GET", "/api/v1/panel/revision")).revision;
  const [lawyers, firms, stations] = await Promise.all([
    api("GET", `/api/v1/lawyers?${q}`), api("GET", "/api/v1/firms"), api("GET", `/api/v1/stations?${q}`)]);
  st.lawyers = items(lawyers);
  st.firms = items(firms);
  st.stations = items(stations);
  render(st);
}

/** The columns of each table: [key, header, value of a row]. */
function columns(st) {
  const firm = (id) => st.firms.find((f) => f.id === id)?.name || id;
  return {
    lawyers: [["id", "编号", (l) => l.id], ["name", "姓名", (l) => l.name], ["firm", "律所", (l) => firm(l.firm_id)],
      ["phone", "电话", (l) => l.phone], ["licence", "执业证日期", (l) => l.licence_date],
      ["skills", "专长", (l) => l.skills.map((x) => st.labels.skills[x] || x).join("、")],
      ["languages", "语言", (l) => l.languages.map((x) => st.labels.languages[x] || x).join("、")],
      ["active", "状态", (l) => (l.active ? "在册" : "已暂停")]],
    firms: [["id", "编号", (f) => f.id], ["name", "名称", (f) => f.name], ["centre", "登记中心", (f) => f.centre_id]],
    stations: [["id", "编号", (s) => s.id], ["name", "名称", (s) => s.name], ["kind", "类型", (s) => STATION_KIND[s.kind] || s.kind],
      ["address", "地址", (s) => s.address], ["phone", "电话", (s) => s.phone], ["fence", "签到范围（米）", (s) => s.geofence_m]],
  }[st.tab];
}

function render(st) {
  for (const k of ["lawyers", "firms", "stations", "settings"]) $(`#tab-${k}`).setAttribute("aria-pressed", String(st.tab === k));
  if (st.tab === "settings") return settings(st);
  const cols = columns(st);
  const rows = st[st.tab]
    .filter((r) => !st.query || cols.some(([, , v]) => String(v(r)).includes(st.query)))
    .sort((a, b) => {
      const v = cols.find(([k]) => k === st.sort)[2];
      return String(v(a)).localeCompare(String(v(b)), "zh-CN");
    });
  const add = { lawyers: "新增律师", firms: "新增律所", stations: "新增工作站" }[st.tab];
  fill($("#panel-table"),
    h("div", { class: "row" }, h("span", { class: "muted" }, `共 ${rows.length} 条`),
      h("button", { id: "panel-add", onclick: () => edit(st, null) }, add)),
    h("table", { class: "list", id: "panel-list" },
      h("tr", {}, ...cols.map(([k, label]) => h("th", {},
        h("button", { class: "link-button", "aria-sort": st.sort === k ? "ascending" : "none",
          onclick: () => { st.sort = k; render(st); } }, label))), h("th", {}, "")),
      rows.map((r) => h("tr", {}, ...cols.map(([, , v]) => h("td", {}, v(r))),
        h("td", {}, h("button", { class: "secondary", onclick: () => edit(st, r) }, "编辑"))))));
}

/** A labelled input of a form. */
const field = (label, name, value, attrs = {}) =>
  h("label", { class: "field" }, label, h("input", { name, value: value ?? "", ...attrs }));

function edit(st, record) {
  const form = { lawyers: lawyerForm, firms: firmForm, stations: stationForm }[st.tab](st, record);
  fill($("#panel-form"), form);
  form.scrollIntoView({ block: "nearest" });
}

function firmForm(st, f) {
  const form = h("form", { class: "card narrow", id: "firm-form" },
    h("h3", {}, f ? `编辑律所 ${f.name}` : "新增律所"),
    f ? null : field("编号", "id", "", { required: true, maxlength: 40 }),
    field("名称", "name", f?.name, { required: true, maxlength: 100 }),
    h("button", { type: "submit" }, "保存"), h("p", { class: "error", role: "alert" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const e = form.elements;
    const body = f ? { name: e.name.value } : { id: e.id.value.trim(), name: e.name.value, centre_id: st.centre };
    save(st, form, f ? "PATCH" : "POST", f ? `/api/v1/firms/${encodeURIComponent(f.id)}` : "/api/v1/firms", body);
  });
  return form;
}

function lawyerForm(st, l) {
  const x = l || { firm_id: st.firms[0]?.id, skills: [], languages: [], limits: { per_day: 1, per_week: 2, per_month: 6 }, active: true };
  const form = h("form", { class: "card narrow", id: "lawyer-form" },
    h("h3", {}, l ? `编辑律师 ${l.name}（${l.id}）` : "新增律师"),
    l ? null : field("编号", "id", "", { required: true, maxlength: 40 }),
    field("姓名", "name", x.name, { required: true, maxlength: 50 }),
    field("手机号", "phone", x.phone, { inputmode: "tel", maxlength: 20 }),
    field("电子邮箱（接收通知）", "email", x.email || "", { type: "email", maxlength: 254 }),
    h("label", { class: "field" }, "律所", h("select", { name: "firm" },
      st.firms.map((f) => h("option", { value: f.id, selected: f.id === x.firm_id }, f.name)))),
    field("执业证日期", "licence", x.licence_date, { type: "date", required: true }),
    field(`专长代码（用顿号或逗号分隔；如 ${hint(st.labels.skills)}）`, "skills", x.skills.join("、")),
    field(`语言代码（普通话以外；如 ${hint(st.labels.languages)}）`, "languages", x.languages.join("、")),
    h("div", { class: "row" },
      field("每日上限", "per_day", x.limits.per_day, { type: "number", min: 1, max: 2 }),
      field("每周上限", "per_week", x.limits.per_week, { type: "number", min: 1, max: 14 }),
      field("每月上限", "per_month", x.limits.per_month, { type: "number", min: 1, max: 62 })),
    h("div", { class: "row" },
      field("出发地纬度", "lat", x.base?.lat ?? st.stations[0]?.location.lat ?? "", { type: "number", step: "any", min: -90, max: 90 }),
      field("出发地经度", "lon", x.base?.lon ?? st.stations[0]?.location.lon ?? "", { type: "number", step: "any", min: -180, max: 180 })),
    h("label", { class: "field" }, h("input", { type: "checkbox", name: "active", checked: x.active }), " 在册（取消即暂停值班）"),
    field("变更原因（暂停或恢复时必填）", "reason", "", { maxlength: 200 }),
    h("button", { type: "submit" }, "保存"), h("p", { class: "error", role: "alert" }), h("div", { class: "affected" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const e = form.elements;
    const body = {
      name: e.name.value, phone: e.phone.value.trim(), email: e.email.value.trim(), firm_id: e.firm.value, licence_date: e.licence.value,
      skills: list(e.skills.value), languages: list(e.languages.value),
      limits: { per_day: Number(e.per_day.value), per_week: Number(e.per_week.value), per_month: Number(e.per_month.value) },
      base: { lat: Number(e.lat.value), lon: Number(e.lon.value) },
      active: e.active.checked,
    };
    if (l) {
      if (e.reason.value.trim()) body.reason = e.reason.value.trim();
      save(st, form, "PATCH", `/api/v1/lawyers/${encodeURIComponent(l.id)}`, body);
    } else {
      const home = { id: e.id.value.trim(), home_centre_id: st.centre };
      save(st, form, "POST", "/api/v1/lawyers", { ...home, ...body });
    }
  });
  return form;
}

function stationForm(st, s) {
  const x = s || { kind: "court", geofence_m: 200, am: { start: "09:00", end: "12:00" }, pm: { start: "14:00", end: "17:00" } };
  const form = h("form", { class: "card narrow", id: "station-form" },
    h("h3", {}, s ? `编辑工作站 ${s.name}` : "新增工作站"),
    s ? null : field("编号", "id", "", { required: true, maxlength: 40 }),
    field("名称", "name", x.name, { required: true, maxlength: 100 }),
    h("label", { class: "field" }, "类型", h("select", { name: "kind" },
      Object.entries(STATION_KIND).map(([k, v]) => h("option", { value: k, selected: k === x.kind }, v)))),
    field("地址", "address", x.address, { maxlength: 200 }),
    field("电话", "phone", x.phone, { maxlength: 30 }),
    field("签到范围（米）", "fence", x.geofence_m, { type: "number", min: 10, max: 5000 }),
    h("div", { class: "row" },
      field("纬度", "lat", (x.location || st.stations[0]?.location)?.lat ?? "", { type: "number", step: "any", min: -90, max: 90 }),
      field("经度", "lon", (x.location || st.stations[0]?.location)?.lon ?? "", { type: "number", step: "any", min: -180, max: 180 })),
    h("div", { class: "row" },
      field("上午开始", "am_start", hhmm(x.am.start), { type: "time" }), field("上午结束", "am_end", hhmm(x.am.end), { type: "time" }),
      field("下午开始", "pm_start", hhmm(x.pm.start), { type: "time" }), field("下午结束", "pm_end", hhmm(x.pm.end), { type: "time" })),
    field("最低执业年限", "min_years", x.min_years ?? 0, { type: "number", min: 0, max: 50 }),
    field(`所需专长代码（如 ${hint(st.labels.skills)}）`, "skills", (x.skills || []).join("、")),
    field("签约律所编号（空表示不限）", "contracted", (x.contracted_firms || []).join("、")),
    h("label", { class: "field" }, h("input", { type: "checkbox", name: "holiday_duty", checked: x.holiday_duty }), " 节假日值班"),
    h("button", { type: "submit" }, "保存"), h("p", { class: "error", role: "alert" }));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const e = form.elements;
    const body = { name: e.name.value, kind: e.kind.value, address: e.address.value, phone: e.phone.value, geofence_m: Number(e.fence.value),
      location: { lat: Number(e.lat.value), lon: Number(e.lon.value) },
      am: { start: sec(e.am_start.value), end: sec(e.am_end.value) }, pm: { start: sec(e.pm_start.value), end: sec(e.pm_end.value) },
      min_years: Number(e.min_years.value), skills: list(e.skills.value), contracted_firms: list(e.contracted.value),
      holiday_duty: e.holiday_duty.checked };
    if (s) return save(st, form, "PATCH", `/api/v1/stations/${encodeURIComponent(s.id)}`, body);
    const rest = { id: e.id.value.trim(), centre_id: st.centre, priority: 2 };
    return save(st, form, "POST", "/api/v1/stations", { ...rest, ...body });
  });
  if (!s) return form;
  const wrap = h("div", {}, form, demandForm(st, s));
  return wrap;
}

function demandForm(st, s) {
  const form = h("form", { class: "card", id: "demand-form" }, h("h3", {}, `${s.name} 每周值班需求（人数 / 备班）`),
    h("p", { class: "muted" }, "填 0 表示该半天不设值班。保存前会列出受影响的已发布值班。"),
    h("div", { class: "muted", id: "demand-loading" }, "加载中…"),
    h("button", { type: "submit" }, "保存需求"), h("p", { class: "error", role: "alert" }), h("div", { class: "affected" }));
  api("GET", `/api/v1/stations/${encodeURIComponent(s.id)}`).then((full) => {
    const rule = (w, hd) => full.demand.find((r) => r.weekday === w && r.half_day === hd);
    const num = (name, v) => h("input", { name, type: "number", min: 0, max: 50, value: v ?? 0, size: 3, "aria-label": name });
    $("#demand-loading").replaceWith(h("table", { class: "list" },
      h("tr", {}, h("th", {}, ""), ...WEEKDAYS.map(([, l]) => h("th", {}, l))),
      ...["am", "pm"].map((hd) => h("tr", {}, h("th", {}, HALF[hd]), ...WEEKDAYS.map(([w]) => h("td", {},
        num(`${w}-${hd}-n`, rule(w, hd)?.lawyers), " / ", num(`${w}-${hd}-b`, rule(w, hd)?.backups)))))));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const rules = [];
      for (const [w] of WEEKDAYS) for (const hd of ["am", "pm"]) {
        const n = Number(form.elements[`${w}-${hd}-n`].value);
        const b = Number(form.elements[`${w}-${hd}-b`].value);
        const old = rule(w, hd);
        if (n > 0 || b > 0) rules.push({ station_id: s.id, weekday: w, half_day: hd, lawyers: n, backups: b,
          skills: old?.skills || [], languages: old?.languages || [], min_years: old?.min_years || 0 });
      }
      save(st, form, "PUT", `/api/v1/stations/${encodeURIComponent(s.id)}/demand`, { rules });
    });
  }).catch((e) => fail(e, form.querySelector(".error")));
  return form;
}

/** Checks the change without saving; saves at once when it affects no published duty, or
 *  lists the duties (and why) and asks first, offering the minimal-change repair. */
async function save(st, form, method, path, body) {
  const err = form.querySelector(".error");
  const box = form.querySelector(".affected");
  err.textContent = "";
  const sep = path.includes("?") ? "&" : "?";
  try {
    const dry = await api(method, `${path}${sep}dry_run=true&revision=${st.revision}`, body);
    if (!dry.affected.length || !box) return commit(st, method, path, body, st.revision);
    const name = (id) => st.lawyers.find((l) => l.id === id)?.name || id;
    fill(box, h("div", { class: "card codes", id: "affected" },
      h("p", { class: "error" }, `此修改影响 ${dry.affected.length} 个已发布的值班：`),
      h("ul", {}, dry.affected.slice(0, 20).map((d) => {
        const a = d.assignment;
        const why = REASON[d.reason] ? `（${REASON[d.reason]}）` : "";
        return h("li", {}, `${dayLabel(a.date)} ${HALF[a.half_day]} ${a.station_id} ${ROLE[a.role]}：${name(a.lawyer_id)}${why}`);
      })),
      h("div", { class: "row" },
        h("button", { id: "confirm-save", onclick: (e) => { e.preventDefault(); commit(st, method, path, body, st.revision); } }, "仍然保存"),
        h("button", { id: "save-repair", onclick: (e) => { e.preventDefault(); commit(st, method, path, body, st.revision, dry.affected); } }, "保存并生成调整草稿"))));
  } catch (e) {
    fail(e, err);
  }
}

async function commit(st, method, path, body, revision, affected) {
  const sep = path.includes("?") ? "&" : "?";
  try {
    await api(method, `${path}${sep}revision=${revision}`, body);
    toast("已保存");
    if (affected) await repair(affected);
    fill($("#panel-form"));
    await load(st, st.centre);
  } catch (e) {
    if (e.status === 409) {
      $("#panel-error").textContent = "名册已被他人修改，已重新加载，请核对后再保存。";
      toast("名册已被他人修改");
      await load(st, st.centre);
      return;
    }
    fail(e, $("#panel-error"));
  }
}

/** Asks for the minimal-change repair of each version the affected duties are in: it
 *  re-plans the duties the saved panel rules out, and keeps the rest. */
async function repair(affected) {
  const versions = [...new Set(affected.map((d) => d.version_id))];
  for (const v of versions) {
    const job = await api("POST", `/api/v1/versions/${v}/repair`, { changes: [] });
    toast(`已提交调整（任务 #${job.id}），完成后在“排班”中查看草稿`);
  }
}

/** Why a published duty can no longer be held. */
const REASON = {
  inactive: "律师已暂停", out_of_pool: "不在本中心律师库", not_contracted: "非签约律所",
  lacks_skills: "缺少所需专长", lacks_languages: "缺少所需语言", not_licensed: "执业证尚未生效",
  too_junior: "执业年限不足", no_such_duty: "该时段已无值班", unavailable: "请假或固定不可值班",
  beyond_demand: "超出新的值班需求",
};

async function files(st, which) {
  try {
    if (which === "export") await download(`/api/v1/centres/${encodeURIComponent(st.centre)}/panel.xlsx`, `名册-${st.centre}.xlsx`);
    else await download("/api/v1/panel/template.xlsx", "名册模板.xlsx");
    toast("已下载");
  } catch (e) {
    fail(e, $("#panel-error"));
  }
}

const CHANGE = { added: "新增", changed: "修改", deactivated: "暂停" };

/** Uploads the chosen workbook for a preview: its problems, or its changes to apply. */
async function importPreview(st) {
  const file = $("#import-file").files[0];
  const box = $("#import-result");
  if (!file) {
    box.textContent = "请先选择 Excel 文件";
    return;
  }
  const kind = file.name.endsWith(".zip") ? "application/zip" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  try {
    const mode = $("#import-mode").value;
    const p = await api("POST", `/api/v1/imports?centre_id=${encodeURIComponent(st.centre)}&mode=${mode}`, new Blob([file], { type: kind }));
    if (p.errors.length) {
      fill(box, h("div", { class: "card codes", id: "import-errors" },
        h("p", { class: "error" }, `表格有 ${p.errors.length} 处问题，请改正后重新预览（未做任何修改）：`),
        h("table", { class: "list" }, h("tr", {}, h("th", {}, "工作表"), h("th", {}, "行"), h("th", {}, "列"), h("th", {}, "问题")),
          p.errors.map((e) => h("tr", {}, h("td", {}, e.sheet), h("td", {}, e.row || ""), h("td", {}, e.column), h("td", {}, e.message))))));
      return;
    }
    fill(box, h("div", { class: "card codes", id: "import-changes" },
      h("p", {}, p.changes.length ? `将做 ${p.changes.length} 处修改：` : "表格与名册一致，没有修改。"),
      h("table", { class: "list" }, h("tr", {}, h("th", {}, "工作表"), h("th", {}, "编号"), h("th", {}, "修改"), h("th", {}, "内容")),
        p.changes.slice(0, 200).map((c) => h("tr", {}, h("td", {}, c.sheet), h("td", {}, c.code), h("td", {}, CHANGE[c.kind] || c.kind),
          h("td", {}, c.fields.map((f) => `${f.field}：${JSON.stringify(f.old)} → ${JSON.stringify(f.new)}`).join("；"))))),
      p.affected.length ? h("p", { class: "error" }, `影响 ${p.affected.length} 个已发布的值班，导入后请在“排班”中调整。`) : null,
      p.changes.length ? h("button", { id: "import-apply", onclick: () => importApply(st, p.id) }, "确认导入") : null));
  } catch (e) {
    fail(e, box);
  }
}

async function importApply(st, id) {
  try {
    await api("POST", `/api/v1/imports/${id}/apply`);
    toast("已导入");
    fill($("#import-result"), h("p", {}, "导入完成。"));
    await load(st, st.centre);
  } catch (e) {
    fail(e, $("#import-result"));
  }
}

const POLICY = [
  ["swap_same_firm", "换班限同一律所", "checkbox"],
  ["swap_auto_approve", "换班无需协调员批准", "checkbox"],
  ["swap_min_hours", "换班至少提前（小时）", "number"],
  ["checkin_early_minutes", "提前多少分钟可签到", "number"],
  ["late_grace_minutes", "迟到宽限（分钟）", "number"],
  ["position_retention_days", "签到位置保留（天）", "number"],
  ["leave_notice_days", "请假至少提前（天）", "number"],
  ["claims_picked", "待认领岗位由协调员从报名律师中选定（否则先到先得）", "checkbox"],
  ["reminder_evening", "日历提醒：值班前一天几点（如 18:00，留空则不提醒）", "time"],
  ["reminder_before_minutes", "日历提醒：值班开始前多少分钟（0 则不提醒）", "number"],
  ["alert_late_minutes", "值班开始后多少分钟未签到即提醒协调员（0 则不提醒）", "number"],
  ["alert_uncovered_days", "岗位无人值班时提前几天提醒协调员（0 则不提醒）", "number"],
];

/** How rosters spread duties (issue 25): each weight from 0 (off) to 20. */
const FAIRNESS = [
  ["consecutive_days", "同一律师连续两天值班（每次）"],
  ["weekday_spread", "同一律师集中在某个星期几（每多一次）"],
  ["half_day_spread", "同一律师集中在上午或下午（每多一次）"],
  ["firm_consecutive", "同一律所连续值守同一工作站（每次；开启后排班较慢）"],
];

/** The centre's own settings: pool sharing, its check-in and swap policy and how its rosters
 *  spread duties; for admins, a year of holidays. */
async function settings(st) {
  const id = encodeURIComponent(st.centre);
  const [centre, policy] = await Promise.all([api("GET", `/api/v1/centres/${id}`), api("GET", `/api/v1/centres/${id}/policy`)]);
  const form = h("form", { class: "card narrow", id: "settings-form" },
    h("h3", {}, `${centre.name} 设置`),
    h("label", { class: "field" }, h("input", { type: "checkbox", name: "shares_pool", checked: centre.shares_pool }), " 与同级中心共享律师库"),
    ...POLICY.map(([k, label, type]) => type === "checkbox"
      ? h("label", { class: "field" }, h("input", { type, name: k, checked: policy[k] }), ` ${label}`)
      : field(label, k, type === "time" ? (policy[k] || "").slice(0, 5) : policy[k], { type, min: 0 })),
    h("fieldset", { id: "fairness-settings" },
      h("legend", {}, "排班公平与分布"),
      h("p", { class: "muted" }, "值班和备班各自按应得份额平衡。下面的数字是各项的权重：0 为不考虑，越大越优先避免（最大 20）。作为参照，偏离应得份额一次计 8，律师的意愿一次计 1。"),
      h("label", { class: "field" }, h("input", { type: "checkbox", name: "by_station_kind", checked: policy.fairness.by_station_kind }),
        " 按工作站类型（看守所、法院、检察院）分别平衡每位律师的值班"),
      ...FAIRNESS.map(([k, label]) => field(label, `fairness.${k}`, policy.fairness[k], { type: "number", min: 0, max: 20, step: 1 }))),
    h("button", { type: "submit" }, "保存设置"), h("p", { class: "error", role: "alert" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const e = form.elements;
    const next = { ...policy };
    for (const [k, , type] of POLICY) {
      next[k] = type === "checkbox" ? e[k].checked : type === "time" ? (e[k].value ? e[k].value.slice(0, 5) : null) : Number(e[k].value);
    }
    next.fairness = { by_station_kind: e.by_station_kind.checked };
    for (const [k] of FAIRNESS) next.fairness[k] = Number(e[`fairness.${k}`].value);
    try {
      await api("PATCH", `/api/v1/centres/${id}`, { shares_pool: e.shares_pool.checked });
      await api("PUT", `/api/v1/centres/${id}/policy`, next);
      toast("设置已保存");
    } catch (err) {
      fail(err, form.querySelector(".error"));
    }
  });
  const year = new Date().getFullYear() + 1;
  const cal = h("form", { class: "card narrow", id: "calendar-form" },
    h("h3", {}, "节假日安排（管理员）"),
    h("p", { class: "muted" }, "国务院公布次年节假日后，每行填一天：日期,类型(holiday 放假 / workday 调休上班),名称,按星期几上班(可空)。保存后替换该年全部安排。"),
    field("年份", "year", year, { type: "number", min: 2000, max: 2100 }),
    h("label", { class: "field" }, "安排", h("textarea", { name: "days", rows: 6, cols: 50, placeholder: `${year}-01-01,holiday,元旦,` })),
    h("button", { type: "submit" }, "保存该年安排"), h("p", { class: "error", role: "alert" }));
  cal.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const e = cal.elements;
    const days = e.days.value.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const [date, kind, name, worksAs] = l.split(/[,，]/).map((x) => (x || "").trim());
      return { date, kind, name, works_as: worksAs || null };
    });
    try {
      await api("PUT", `/api/v1/calendar/${Number(e.year.value)}`, { days });
      toast("节假日已保存");
    } catch (err) {
      fail(err, cal.querySelector(".error"));
    }
  });
  fill($("#panel-table"), form, cal);
}
