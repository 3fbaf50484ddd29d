// A person's own account (change the password, see and end sessions, download what is held
// about them) and, for admins and coordinators, the accounts they manage: make one, make one
// for every lawyer of a panel, reset a password (a new one-time code), change a role, lock,
// unlock, disable.
import { api, download, items } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { ACCOUNT_ROLES, ACCOUNT_STATE } from "./labels.js";

const when = (t) => new Date(t).toLocaleString("zh-CN", { hour12: false });

/** The roles and centres the person managing accounts may grant. */
let grants = { roles: [], centres: [], me: null };

/** What a role is tied to, from the form's fields (`centres`, `lawyer`, `firm`). */
function ties(role, centres, lawyer, firm) {
  const body = { role };
  if (["coordinator", "finance", "director"].includes(role)) body.centres = centres;
  if (role === "lawyer") body.lawyer_id = lawyer.trim();
  if (role === "firm_admin") body.firm_id = firm.trim();
  return body;
}

export async function accountView(me, back) {
  const u = me.user;
  fill(main(),
    h("section", { class: "card narrow", id: "me" },
      h("div", { class: "row" }, h("h2", {}, "我的账户"), h("button", { class: "secondary", onclick: back }, "返回")),
      h("p", {}, `${u.display_name} · 登录名 ${u.login} · ${ACCOUNT_ROLES[u.role] || u.role}`),
      h("h3", {}, "修改密码"),
      h("form", { id: "password-form", onsubmit: (ev) => changePassword(ev) },
        h("label", { class: "field" }, "当前密码 ", h("input", { id: "current", type: "password", autocomplete: "current-password", required: true, maxlength: 128 })),
        h("label", { class: "field" }, "新密码（至少 8 个字符） ", h("input", { id: "next", type: "password", autocomplete: "new-password", required: true, minlength: 8, maxlength: 128 })),
        h("button", { type: "submit" }, "修改密码")),
      h("p", { id: "password-error", class: "error", role: "alert" }),
      h("h3", {}, "登录设备"),
      h("div", { id: "sessions" }),
      h("h3", {}, "我的个人信息"),
      h("p", { class: "muted" }, "下载本系统保存的关于您的全部信息：账户、登录设备，律师的名册信息、值班、换班、签到（含保留期内的位置）、台账。签到位置只保留规定天数，之后只保留距离和是否在范围内。"),
      h("button", { class: "secondary", id: "my-data", onclick: () => myData() }, "下载我的数据")),
    ["admin", "coordinator"].includes(me.role) ? h("section", { class: "card", id: "users" }, h("h2", {}, "账户管理")) : null);
  await sessions();
  if (["admin", "coordinator"].includes(me.role)) await usersView(me);
  if (me.role === "admin") {
    main().append(h("section", { class: "card", id: "tokens" }));
    await tokensView();
  }
}

/** Machines' API tokens (admins): listed with their last use, made (shown once), revoked. */
async function tokensView() {
  const list = await api("GET", "/api/v1/tokens");
  fill($("#tokens"),
    h("h2", {}, "API 令牌（供程序和工作站显示屏使用）"),
    h("form", { class: "row", onsubmit: (ev) => newToken(ev) },
      h("label", {}, "用途 ", h("input", { id: "t-label", required: true, maxlength: 100, placeholder: "如：统计脚本" })),
      h("label", {}, "角色 ", h("select", { id: "t-role" }, ["admin", "coordinator", "finance", "lawyer", "station"].map((r) => h("option", { value: r }, ACCOUNT_ROLES[r])))),
      h("label", {}, "中心/律师/工作站编号 ", h("input", { id: "t-scope", maxlength: 40 })),
      h("button", { type: "submit" }, "新建令牌")),
    h("p", { id: "tokens-error", class: "error", role: "alert" }),
    h("div", { id: "new-token" }),
    h("table", { class: "list" },
      h("tr", {}, h("th", {}, "用途"), h("th", {}, "角色"), h("th", {}, "范围"), h("th", {}, "新建于"), h("th", {}, "最近使用"), h("th", {}, "")),
      list.map((t) => h("tr", { class: t.revoked_at ? "muted" : "" },
        h("td", {}, t.label), h("td", {}, ACCOUNT_ROLES[t.role] || t.role),
        h("td", {}, t.station_id || t.lawyer_id || t.centre_id || "全部"),
        h("td", {}, when(t.created_at)), h("td", {}, t.last_used_at ? when(t.last_used_at) : "从未使用"),
        h("td", {}, t.revoked_at ? `已吊销 ${when(t.revoked_at)}`
          : h("button", { class: "secondary", onclick: () => revoke(t.id) }, "吊销"))))));
}

async function newToken(ev) {
  ev.preventDefault();
  const role = $("#t-role").value;
  const scope = $("#t-scope").value.trim();
  const body = { role, label: $("#t-label").value };
  if (role === "coordinator" || role === "finance") body.centre_id = scope;
  if (role === "lawyer") body.lawyer_id = scope;
  if (role === "station") body.station_id = scope;
  try {
    const t = await api("POST", "/api/v1/tokens", body);
    await tokensView();
    fill($("#new-token"), h("div", { class: "card codes" },
      h("p", {}, "新令牌（只显示这一次，请妥善保存）："), h("p", { class: "code link" }, t.token)));
  } catch (e) {
    fail(e, $("#tokens-error"));
  }
}

async function revoke(id) {
  try {
    await api("DELETE", `/api/v1/tokens/${id}`);
    toast("令牌已吊销");
    await tokensView();
  } catch (e) {
    fail(e, $("#tokens-error"));
  }
}

async function myData() {
  try {
    await download("/api/v1/me/data", "我的数据.json");
    toast("已下载");
  } catch (e) {
    fail(e);
  }
}

async function changePassword(ev) {
  ev.preventDefault();
  try {
    await api("POST", "/api/v1/me/password", { current: $("#current").value, new: $("#next").value });
    toast("密码已修改，请用新密码重新登录");
    setTimeout(() => location.reload(), 1200);
  } catch (e) {
    fail(e, $("#password-error"));
  }
}

async function sessions() {
  const list = await api("GET", "/api/v1/me/sessions");
  fill($("#sessions"), h("table", { class: "list" },
    h("tr", {}, h("th", {}, "登录时间"), h("th", {}, "最近使用"), h("th", {}, "地址"), h("th", {}, "浏览器"), h("th", {}, "")),
    list.map((s) => h("tr", {},
      h("td", {}, when(s.created_at)), h("td", {}, when(s.last_seen_at)), h("td", {}, s.ip),
      h("td", { class: "muted" }, s.user_agent.slice(0, 60)),
      h("td", {}, s.current ? h("span", { class: "badge" }, "本设备")
        : h("button", { class: "secondary", onclick: () => endSession(s.id) }, "退出该设备"))))));
}

async function endSession(id) {
  try {
    await api("DELETE", `/api/v1/me/sessions/${id}`);
    toast("已退出该设备");
    await sessions();
  } catch (e) {
    fail(e);
  }
}

/** The accounts an admin or coordinator manages. */
export async function usersView(me) {
  const centres = await api("GET", "/api/v1/centres");
  const roles = me.role === "admin"
    ? ["lawyer", "coordinator", "finance", "firm_admin", "director", "admin"]
    : ["lawyer", "coordinator", "finance", "firm_admin"];
  grants = { roles, centres, me };
  const centreSelect = (id) => h("select", { id }, centres.map((c) => h("option", { value: c.id }, `${c.name}（${c.id}）`)));
  fill($("#users"),
    h("h2", {}, "账户管理"),
    h("p", { class: "muted" }, "新账户会得到一个一次性邀请码（7 天内有效）。请把邀请码交给本人，本人在登录页点“首次登录”设置密码。"),
    h("h3", {}, "新建账户"),
    h("form", { id: "new-user", class: "row", onsubmit: (ev) => create(ev) },
      h("label", {}, "登录名 ", h("input", { id: "u-login", required: true, maxlength: 64 })),
      h("label", {}, "姓名 ", h("input", { id: "u-name", maxlength: 100 })),
      h("label", {}, "角色 ", h("select", { id: "u-role" }, roles.map((r) => h("option", { value: r }, ACCOUNT_ROLES[r])))),
      h("label", {}, "中心 ", centreSelect("u-centre")),
      h("label", {}, "律师编号 ", h("input", { id: "u-lawyer", maxlength: 40, placeholder: "律师账户填写" })),
      h("label", {}, "律所编号 ", h("input", { id: "u-firm", maxlength: 40, placeholder: "律所管理员填写" })),
      h("button", { type: "submit" }, "新建")),
    h("h3", {}, "为名册中尚无账户的律师批量新建"),
    h("div", { class: "row" },
      h("label", {}, "中心 ", centreSelect("bulk-centre")),
      h("label", {}, "登录名用 ", h("select", { id: "bulk-from" }, h("option", { value: "phone" }, "手机号"), h("option", { value: "licence" }, "律师编号"))),
      h("button", { id: "bulk", onclick: () => bulk() }, "批量新建")),
    h("p", { id: "users-error", class: "error", role: "alert" }),
    h("div", { id: "codes" }),
    h("h3", {}, "账户列表"),
    h("div", { id: "user-list" }));
  await list();
}

function codesTable(rows) {
  fill($("#codes"), rows.length ? h("div", { class: "card codes" },
    h("p", {}, "请把以下邀请码交给本人（只显示这一次）："),
    h("table", { class: "list" },
      h("tr", {}, h("th", {}, "登录名"), h("th", {}, "姓名"), h("th", {}, "邀请码")),
      rows.map((r) => h("tr", {}, h("td", {}, r.login), h("td", {}, r.display_name), h("td", { class: "code" }, r.invitation_code))))) : null);
}

async function create(ev) {
  ev.preventDefault();
  const body = { login: $("#u-login").value, ...ties($("#u-role").value, [$("#u-centre").value], $("#u-lawyer").value, $("#u-firm").value) };
  if ($("#u-name").value.trim()) body.display_name = $("#u-name").value.trim();
  try {
    const made = await api("POST", "/api/v1/users", body);
    $("#users-error").textContent = "";
    codesTable([made]);
    await list();
  } catch (e) {
    fail(e, $("#users-error"));
  }
}

async function bulk() {
  try {
    const r = await api("POST", "/api/v1/users/lawyers", { centre_id: $("#bulk-centre").value, login_from: $("#bulk-from").value });
    codesTable(r.created);
    $("#users-error").textContent = r.skipped.length ? `${r.skipped.length} 位律师未新建：${r.skipped.slice(0, 5).map((s) => `${s.lawyer_id}（${s.reason}）`).join("；")}` : "";
    toast(`已新建 ${r.created.length} 个账户`);
    await list();
  } catch (e) {
    fail(e, $("#users-error"));
  }
}

async function act(path, body, done) {
  try {
    const r = await api("POST", path, body);
    if (r.invitation_code) codesTable([r]);
    toast(done);
    await list();
  } catch (e) {
    fail(e, $("#users-error"));
  }
}

async function list() {
  const page = await api("GET", "/api/v1/users?limit=500");
  fill($("#user-list"), h("table", { class: "list" },
    h("tr", {}, h("th", {}, "登录名"), h("th", {}, "姓名"), h("th", {}, "角色"), h("th", {}, "范围"), h("th", {}, "状态"), h("th", {}, "")),
    items(page).map((u) => h("tr", {},
      h("td", {}, u.login), h("td", {}, u.display_name), h("td", {}, ACCOUNT_ROLES[u.role] || u.role),
      h("td", {}, u.lawyer_id || u.firm_id || u.centres.join("、")),
      h("td", {}, ACCOUNT_STATE[u.state] || u.state),
      h("td", { class: "actions" },
        h("button", { class: "secondary", onclick: () => act(`/api/v1/users/${u.id}/reset`, undefined, "已重置，新的邀请码见上方") }, "重置密码"),
        u.state === "active" ? h("button", { class: "secondary", onclick: () => act(`/api/v1/users/${u.id}/state`, { state: "locked" }, "已锁定") }, "锁定") : null,
        u.state === "locked" ? h("button", { class: "secondary", onclick: () => act(`/api/v1/users/${u.id}/state`, { state: "active" }, "已解锁") }, "解锁") : null,
        u.state !== "disabled" ? h("button", { class: "secondary", onclick: () => act(`/api/v1/users/${u.id}/state`, { state: "disabled" }, "已停用") }, "停用") : null,
        grants.me?.user?.id !== u.id ? h("button", { class: "secondary", onclick: (ev) => roleForm(u, ev.target) }, "更改角色") : null)))),
    page.total > 500 ? h("p", { class: "muted" }, `共 ${page.total} 个账户，只显示前 500 个。`) : null);
}

/** A form under an account's row to change its role and ties. */
function roleForm(u, button) {
  const row = button.closest("tr");
  if (row.nextSibling?.classList?.contains("role-form")) return;
  const f = h("form", { class: "row" },
    h("label", {}, "角色 ", h("select", { name: "role" }, grants.roles.map((r) => h("option", { value: r, selected: r === u.role }, ACCOUNT_ROLES[r])))),
    h("label", {}, "中心（可多选） ", h("select", { name: "centres", multiple: true, size: Math.min(4, grants.centres.length) },
      grants.centres.map((c) => h("option", { value: c.id, selected: u.centres.includes(c.id) }, `${c.name}（${c.id}）`)))),
    h("label", {}, "律师编号 ", h("input", { name: "lawyer", maxlength: 40, value: u.lawyer_id || "" })),
    h("label", {}, "律所编号 ", h("input", { name: "firm", maxlength: 40, value: u.firm_id || "" })),
    h("button", { type: "submit" }, "保存角色"));
  f.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      await api("PUT", `/api/v1/users/${u.id}/role`, ties(f.elements.role.value, [...f.elements.centres.selectedOptions].map((o) => o.value), f.elements.lawyer.value, f.elements.firm.value));
      toast("角色已更改");
      await list();
    } catch (e) {
      fail(e, $("#users-error"));
    }
  });
  row.after(h("tr", { class: "role-form" }, h("td", { colspan: 6 }, f)));
}
