// Notifications in the page: a lawyer's inbox (消息: the messages sent to them) and the
// coordinator's log (通知: every message about the centre's rosters, where it stands, and
// 重新发送 for one that failed for good).
import { api } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";

const STATUS = { pending: "待发送", sent: "已发送", dead: "发送失败" };
const CHANNEL = { webhook: "消息接口", inbox: "仅站内", email: "电子邮件", "": "" };

const when = (t) => new Date(t).toLocaleString("zh-CN");

/** The lawyer's inbox: their newest messages. */
export function inboxSection() {
  const box = h("div", { id: "inbox-list" }, h("p", { class: "muted" }, "加载中…"));
  const section = h("section", { class: "card", id: "inbox" }, h("h2", {}, "消息"), box);
  (async () => {
    try {
      const list = await api("GET", "/api/v1/notifications?limit=20");
      if (!list.length) return fill(box, h("p", { class: "muted" }, "暂无消息。"));
      fill(box, h("ul", { class: "plain" }, list.map((n) => h("li", { "data-notice": n.id },
        h("strong", {}, n.subject), h("div", { class: "muted" }, when(n.created_at)),
        h("div", { class: "notice-body" }, n.body)))));
    } catch (e) {
      fail(e, box);
    }
  })();
  return section;
}

/** The coordinator's log of notifications. */
export async function noticesView() {
  fill(main(), h("section", { class: "card", id: "notices" }, h("h2", {}, "通知记录"),
    h("div", { class: "row" },
      h("label", {}, "状态 ", h("select", { id: "notice-status", onchange: () => show() },
        h("option", { value: "" }, "全部"), Object.entries(STATUS).map(([k, v]) => h("option", { value: k }, v)))),
      h("button", { class: "secondary", onclick: () => show() }, "刷新")),
    h("p", { class: "muted" }, "排班发布或变动后，系统自动通知相关律师。发送失败的消息会自动重试，多次失败后可在此重新发送。"),
    h("div", { id: "notice-list" }, h("p", { class: "muted" }, "加载中…"))));
  await show();
}

async function show() {
  const box = $("#notice-list");
  const select = $("#notice-status");
  if (!box || !select) return;
  const status = select.value;
  try {
    const list = await api("GET", `/api/v1/notifications?limit=200${status ? `&status=${status}` : ""}`);
    if (!list.length) return fill(box, h("p", {}, "暂无通知。"));
    fill(box, h("table", { class: "list", id: "notice-table" },
      h("thead", {}, h("tr", {}, ["时间", "律师", "内容", "状态", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, list.map((n) => {
        const err = h("span", { class: "error", role: "alert" });
        return h("tr", { "data-notice": n.id, "data-status": n.status },
          h("td", {}, when(n.created_at)),
          h("td", {}, n.lawyer_id || ""),
          h("td", {}, n.subject),
          h("td", {}, STATUS[n.status], n.channel ? `（${CHANNEL[n.channel] ?? n.channel}）` : "",
            n.status !== "sent" && n.attempts ? `，已尝试 ${n.attempts} 次` : "",
            n.last_error ? h("div", { class: "muted" }, n.last_error) : null),
          h("td", {}, n.status === "dead" ? h("button", { class: "retry-notice", onclick: async () => {
            try {
              await api("POST", `/api/v1/notifications/${n.id}/retry`);
              toast("已重新加入发送队列");
              await show();
            } catch (e) {
              fail(e, err);
            }
          } }, "重新发送") : null, err));
      }))));
  } catch (e) {
    fail(e, box);
  }
}
