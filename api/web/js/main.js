// zhiban web page: coordinators' roster grid, lawyers' duties and check-in, finance
// statements. Plain JavaScript modules over the public JSON API (/api/v1) with the user's
// token; no build step. This module signs the user in and opens the view of their role.
import { ApiError, api, forgetToken, hasToken, keepToken, useToken } from "./api.js";
import { $ } from "./dom.js";
import { ACCOUNT_ROLES } from "./labels.js";
import { coordinatorView } from "./coordinator.js";
import { financeView } from "./finance.js";
import { lawyerView } from "./lawyer.js";

/** The view of each role; coordinators and admins get the roster view. */
const VIEWS = { lawyer: lawyerView, finance: financeView };

async function start() {
  $("#logout").addEventListener("click", () => {
    forgetToken();
    location.reload();
  });
  $("#login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    useToken($("#token").value.trim());
    await enter($("#login-error"));
  });
  if (hasToken()) await enter($("#login-error"));
}

async function enter(errorBox) {
  let me;
  try {
    me = await api("GET", "/api/v1/me");
  } catch (e) {
    forgetToken();
    errorBox.textContent = e instanceof ApiError && e.status === 401 ? "令牌无效或已被吊销" : "无法连接服务器";
    return;
  }
  keepToken();
  $("#who").textContent = `${me.label}（${ACCOUNT_ROLES[me.role]}${me.centre_id ? " · " + me.centre_id : ""}${me.lawyer_id ? " · " + me.lawyer_id : ""}）`;
  $("#logout").hidden = false;
  return (VIEWS[me.role] || coordinatorView)(me);
}

// A module runs once the document is parsed.
start();
