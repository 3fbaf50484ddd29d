// zhiban web page: coordinators' roster grid, lawyers' duties and check-in, finance
// statements, and accounts. Plain JavaScript modules over the public JSON API (/api/v1),
// signed in with a login name and password (a session cookie); no build step. This module
// signs the user in (or sets a first password with an invitation code) and opens the view
// of their role.
import { ApiError, api, forgetCsrf, keepCsrf, signedIn } from "./api.js";
import { $, tabs } from "./dom.js";
import { ACCOUNT_ROLES } from "./labels.js";
import { accountView, usersView } from "./account.js";
import { coordinatorView } from "./coordinator.js";
import { directorView } from "./director.js";
import { financeView } from "./finance.js";
import { firmView } from "./firm.js";
import { lawyerView } from "./lawyer.js";
import { panelView } from "./panel.js";
import { leaveQueue } from "./leave.js";
import { attendanceView } from "./attendance.js";
import { ledgerView } from "./ledger.js";
import { noticesView } from "./notices.js";
import { reportsView } from "./reports.js";

/** Coordinators and admins: the roster grid, the 名册 and leave to decide, switched from
 *  the header. */
const keeperView = (me) => tabs({
  rosters: ["排班", () => coordinatorView(me)],
  panel: ["名册", () => panelView(me)],
  leave: ["请假与认领", () => leaveQueue(me)],
  attendance: ["考勤", () => attendanceView(me)],
  ledger: ["台账", () => ledgerView(me)],
  notices: ["通知", () => noticesView(me)],
  reports: ["统计", () => reportsView(me)],
}, "rosters");

/** The view of each role. */
const VIEWS = {
  lawyer: lawyerView,
  finance: (me) => tabs({ finance: ["值班补贴", () => financeView(me)], reports: ["统计", () => reportsView(me)] }, "finance"),
  director: directorView,
  firm_admin: firmView,
};

function showActivation(code) {
  $("#login").hidden = true;
  $("#activate").hidden = false;
  if (code) $("#code").value = code;
  $("#code").focus();
}

function showLogin(login) {
  $("#activate").hidden = true;
  $("#login").hidden = false;
  if (login) $("#login-name").value = login;
  $(login ? "#password" : "#login-name").focus();
}

async function start() {
  $("#logout").addEventListener("click", async () => {
    try {
      await api("POST", "/api/v1/auth/logout");
    } finally {
      forgetCsrf();
      location.hash = "";
      location.reload();
    }
  });
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const box = $("#login-error");
    box.textContent = "";
    try {
      const r = await api("POST", "/api/v1/auth/login", { login: $("#login-name").value, password: $("#password").value });
      keepCsrf(r.csrf_token);
    } catch (e) {
      box.textContent = !(e instanceof ApiError) ? "无法连接服务器"
        : e.status === 401 ? "登录名或密码不正确"
        : e.status === 429 ? "尝试次数过多，请稍后再试"
        : e.message;
      return;
    }
    $("#password").value = "";
    await enter();
  });
  $("#first-time").addEventListener("click", (ev) => {
    ev.preventDefault();
    showActivation();
  });
  $("#back-to-login").addEventListener("click", (ev) => {
    ev.preventDefault();
    showLogin();
  });
  $("#activate-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const box = $("#activate-error");
    box.textContent = "";
    if ($("#new-password").value !== $("#new-password-2").value) {
      box.textContent = "两次输入的密码不一致";
      return;
    }
    try {
      const user = await api("POST", "/api/v1/auth/activate", { code: $("#code").value, password: $("#new-password").value });
      $("#new-password").value = $("#new-password-2").value = "";
      showLogin(user.login);
      $("#login-error").textContent = "";
      $("#login").querySelector("h2").textContent = "密码已设置，请登录";
    } catch (e) {
      box.textContent = !(e instanceof ApiError) ? "无法连接服务器"
        : e.status === 404 ? "邀请码无效、已使用或已过期，请向中心索取新的邀请码"
        : e.status === 429 ? "尝试次数过多，请稍后再试"
        : e.message;
    }
  });
  // An invitation link: …/#activate=ABCD-EFGH-JKMN.
  const m = location.hash.match(/^#activate(?:=([\w-]+))?$/);
  if (m) {
    showActivation(m[1]);
    return;
  }
  // Only a browser that signed in may hold a session: the others see the form at once.
  if (signedIn()) await enter(true);
  else showLogin();
}

/** Opens the signed-in person's view; `quiet` when merely checking for a session. */
async function enter(quiet = false) {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (e) {
    if (!quiet || e instanceof ApiError) $("#login-error").textContent = e instanceof ApiError ? "登录已失效，请重新登录" : "无法连接服务器";
    forgetCsrf();
    showLogin();
    return;
  }
  const scope = me.centres && me.centres.length ? " · " + me.centres.slice(0, 3).join("、") + (me.centres.length > 3 ? " 等" : "") : "";
  const name = me.user ? me.user.display_name : me.label;
  $("#who").textContent = `${name}（${ACCOUNT_ROLES[me.role] || me.role}${scope}${me.lawyer_id ? " · " + me.lawyer_id : ""}）`;
  $("#logout").hidden = false;
  const home = () => (VIEWS[me.role] || keeperView)(me);
  if (me.user) {
    $("#account").hidden = false;
    $("#account").addEventListener("click", () => accountView(me, home));
    await fontSize();
  }
  return home();
}

/** The person's 字号, kept with their account: applied now, and saved when changed. */
async function fontSize() {
  const apply = (scale) => document.documentElement.style.setProperty("--scale", String(scale / 100));
  const select = $("#font-scale");
  try {
    const d = await api("GET", "/api/v1/me/display");
    select.value = String(d.font_scale);
    apply(d.font_scale);
  } catch {
    return; // the page works at its normal size
  }
  $("#font-size").hidden = false;
  select.addEventListener("change", async () => {
    const scale = Number(select.value);
    apply(scale);
    try {
      await api("PUT", "/api/v1/me/display", { font_scale: scale });
    } catch (e) {
      $("#who").title = String(e.message || e);
    }
  });
}

// A module runs once the document is parsed.
start();
