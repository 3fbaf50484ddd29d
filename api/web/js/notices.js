// Notifications in the page: a lawyer's or finance officer's inbox (消息: the messages
// sent to them) and each person's choice of channels (通知设置; staff also give their own
// e-mail address and phone there); the coordinator's log (通知: every message about the
// centre's rosters, where it stands, and 重新发送 for one that failed for good) and the
// centre's channels (通知渠道), each with 发送测试消息.
import { api } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";

const STATUS = { pending: "待发送", sent: "已发送", dead: "发送失败" };
const CHANNEL = { webhook: "消息接口", inbox: "仅站内", email: "电子邮件", sms: "短信", wecom: "企业微信群", dingtalk: "钉钉群", "": "" };
// `email:u42` is an e-mail to one staff member: shown as the channel, with how many.
const channelText = (c) => {
  const n = new Map();
  for (const x of c.split(",")) {
    const name = CHANNEL[x.split(":")[0]] ?? x;
    n.set(name, (n.get(name) || 0) + 1);
  }
  return [...n].map(([name, k]) => (k > 1 ? `${name}×${k}` : name)).join("、");
};

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
export async function noticesView(me) {
  fill(main(), h("section", { class: "card", id: "notices" }, h("h2", {}, "通知记录"),
    h("div", { class: "row" },
      h("label", {}, "状态 ", h("select", { id: "notice-status", onchange: () => show() },
        h("option", { value: "" }, "全部"), Object.entries(STATUS).map(([k, v]) => h("option", { value: k }, v)))),
      h("button", { class: "secondary", onclick: () => show() }, "刷新")),
    h("p", { class: "muted" }, "排班发布或变动、换班、请假审批、空缺值班后，系统自动通知相关律师，并在值班前提醒；未签到、无人值班等提醒发给协调员。发送失败的消息会自动重试，多次失败后可在此重新发送。待发送的值班提醒在提醒时间到达后发出。"),
    h("div", { id: "notice-list" }, h("p", { class: "muted" }, "加载中…"))),
    h("section", { class: "card", id: "channels" }, h("h2", {}, "通知渠道"),
      h("p", { class: "muted" }, "律师按个人设置通过电子邮件、短信接收通知；协调员提醒（未签到、无人值班、待审核签到）发到中心的企业微信群或钉钉群，并按每位协调员的“我的通知设置”发邮件或短信。密钥保存后不再显示。"),
      h("div", { id: "channel-list" }, h("p", { class: "muted" }, "加载中…"))),
    me?.role === "coordinator" ? prefsSection() : null);
  await Promise.all([show(), channels()]);
}

/** What each kind of channel asks for: settings and secrets, with their Chinese names. */
const KINDS = {
  wecom: { name: "企业微信群机器人", secrets: [["key", "机器人 key（Webhook 地址中 key= 后的部分）"]] },
  dingtalk: { name: "钉钉群机器人", secrets: [["access_token", "access_token"], ["sign_secret", "加签密钥（SEC 开头）"]] },
  email: { name: "电子邮件（SMTP）", settings: [["url", "SMTP 地址（如 smtp://用户名@mail.example.cn:587?tls=required）"], ["from", "发件人（如 值班系统 <duty@example.cn>）"]],
    secrets: [["password", "SMTP 密码"]], to: "测试收件邮箱" },
  sms: { name: "短信网关", settings: [["url", "网关地址"], ["template", "请求模板（JSON，含 {phone}、{text}，可含 {credential}）"]],
    secrets: [["credential", "网关凭证"]], to: "测试手机号" },
  webhook: { name: "消息接口（Webhook）", settings: [["url", "接收地址"]], secrets: [["secret", "签名密钥（至少16位）"]] },
};

/** The centre's channels, each a form with save, remove and a test message. */
async function channels() {
  const box = $("#channel-list");
  if (!box) return;
  try {
    const centres = await api("GET", "/api/v1/centres");
    const pick = h("select", { id: "channel-centre", onchange: () => load(pick.value) },
      centres.map((c) => h("option", { value: c.id }, c.name)));
    const list = h("div", { class: "channel-forms" });
    fill(box, h("label", {}, "中心 ", pick), list);
    const load = async (centre) => {
      try {
        const all = await api("GET", `/api/v1/centres/${encodeURIComponent(centre)}/channels`);
        fill(list, all.map((c) => channelForm(centre, c, () => load(centre))));
      } catch (e) {
        fail(e, list);
      }
    };
    if (centres.length) await load(centres[0].id);
  } catch (e) {
    fail(e, box);
  }
}

function channelForm(centre, c, reload) {
  const k = KINDS[c.kind];
  const base = `/api/v1/centres/${encodeURIComponent(centre)}/channels/${c.kind}`;
  const out = h("p", { class: "channel-result", role: "status" });
  const state = c.configured ? (c.enabled ? "已启用" : "已停用") : (c.server_default ? "使用服务器默认设置" : "未设置");
  const input = (name, label, value, secret) => h("label", { class: "field" }, label,
    name === "template"
      ? h("textarea", { name, rows: 2, maxlength: 2000 }, value || "")
      : h("input", { name, value: value || "", type: secret ? "password" : "text", autocomplete: "off", maxlength: 500,
        placeholder: secret ? (c.secrets_set.includes(name) ? "已设置（留空则不变）" : "未设置") : "" }));
  const form = h("form", { class: "channel", "data-kind": c.kind },
    h("h3", {}, k.name, " ", h("span", { class: "muted" }, `（${state}）`)),
    (k.settings || []).map(([n, label]) => input(n, label, c.settings[n], false)),
    k.secrets.map(([n, label]) => input(n, label, "", true)),
    h("label", { class: "field" }, h("input", { type: "checkbox", name: "enabled", checked: c.configured ? c.enabled : true }), " 启用"),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "保存"),
      c.configured ? h("button", { type: "button", class: "secondary", onclick: async () => {
        try {
          await api("DELETE", base);
          toast("已删除");
          await reload();
        } catch (e) {
          fail(e, out);
        }
      } }, "删除") : null),
    h("div", { class: "row" },
      k.to ? h("label", {}, `${k.to} `, h("input", { name: "to", class: "test-to", inputmode: c.kind === "sms" ? "tel" : "email" })) : null,
      h("button", { type: "button", class: "secondary test-channel", onclick: async () => {
        out.textContent = "正在发送…";
        try {
          const r = await api("POST", `${base}/test`, { to: form.elements.to ? form.elements.to.value.trim() : "" });
          out.textContent = r.ok ? "测试消息已发送，请查收。" : `发送失败：${r.error}`;
        } catch (e) {
          fail(e, out);
        }
      } }, "发送测试消息")),
    out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const e = form.elements;
    const settings = {};
    for (const [n] of k.settings || []) settings[n] = e[n].value.trim();
    const secrets = {};
    for (const [n] of k.secrets) if (e[n].value) secrets[n] = e[n].value;
    try {
      await api("PUT", base, { enabled: e.enabled.checked, settings, secrets });
      toast("已保存");
      await reload();
    } catch (err) {
      fail(err, out);
    }
  });
  return form;
}

/** A lawyer's choice of channels per kind of event, and quiet hours. */
/** The person's own choice of channels; staff (who have no panel entry) also give their
 * own e-mail address and phone here. */
export function prefsSection() {
  const box = h("div", { id: "prefs-form" }, h("p", { class: "muted" }, "加载中…"));
  const section = h("section", { class: "card", id: "notify-prefs" }, h("h2", {}, "通知设置"), box);
  (async () => {
    try {
      const p = await api("GET", "/api/v1/me/notification-prefs");
      const staff = Boolean(p.contact);
      if (staff) section.querySelector("h2").textContent = "我的通知设置";
      const err = h("p", { class: "error", role: "alert" });
      const check = (kind, ch, able) => h("input", { type: "checkbox", name: `${kind}-${ch}`, disabled: !able,
        checked: p.prefs.channels[kind]?.includes(ch), "aria-label": `${p.kinds.find((x) => x.kind === kind).label} ${ch === "email" ? "邮件" : "短信"}` });
      const contact = staff ? h("div", { class: "row" },
        h("label", {}, "我的电子邮箱 ", h("input", { type: "email", name: "email", value: p.contact.email, maxlength: 254, autocomplete: "email" })),
        h("label", {}, "我的手机号 ", h("input", { type: "tel", name: "phone", value: p.contact.phone, maxlength: 32, autocomplete: "tel" }))) : null;
      const form = h("form", {},
        staff ? h("p", { class: "muted" }, "提醒都会显示在本页；填写邮箱或手机号后，可另选通过邮件或短信接收（未填写邮箱则不发邮件，未填写手机号则不发短信；中心需已设置相应通知渠道）。")
          : h("p", { class: "muted" }, "所有消息都会出现在上方“消息”中；可另选通过邮件或短信接收。",
            p.has_email ? "" : "名册中没有您的电子邮箱，请联系协调员添加。", p.has_phone ? "" : "名册中没有您的手机号。"),
        contact,
        h("table", { class: "list" },
          h("thead", {}, h("tr", {}, ["事项", "邮件", "短信"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, p.kinds.map(({ kind, label }) => h("tr", {},
            h("td", {}, label), h("td", {}, check(kind, "email", staff || p.has_email)), h("td", {}, check(kind, "sms", staff || p.has_phone)))))),
        h("div", { class: "row" },
          h("label", {}, "免打扰 从 ", h("input", { type: "time", name: "quiet_start", value: p.prefs.quiet_start?.slice(0, 5) || "" })),
          h("label", {}, " 到 ", h("input", { type: "time", name: "quiet_end", value: p.prefs.quiet_end?.slice(0, 5) || "" }))),
        h("p", { class: "muted" }, staff ? "免打扰时段内不发短信（值班未签到提醒除外），时段结束后补发。" : "免打扰时段内不发短信（当天值班变动除外），时段结束后补发。"),
        h("button", { type: "submit" }, "保存通知设置"), err);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const e = form.elements;
        const channels = {};
        for (const { kind } of p.kinds) {
          channels[kind] = ["email", "sms"].filter((ch) => e[`${kind}-${ch}`].checked);
        }
        const quiet = (v) => (v ? v : null);
        try {
          // The choices first (nothing is saved if they are refused), then the address and
          // phone when they changed.
          await api("PUT", "/api/v1/me/notification-prefs", { channels, quiet_start: quiet(e.quiet_start.value), quiet_end: quiet(e.quiet_end.value) });
          const contact = staff && { email: e.email.value.trim(), phone: e.phone.value.trim() };
          if (staff && (contact.email !== p.contact.email || contact.phone !== p.contact.phone)) {
            const out = await api("PUT", "/api/v1/me/contact", contact);
            p.contact = out.contact;
          }
          toast("通知设置已保存");
        } catch (x) {
          fail(x, err);
        }
      });
      fill(box, form);
    } catch (e) {
      fail(e, box);
    }
  })();
  return section;
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
      h("thead", {}, h("tr", {}, ["时间", "收件人", "内容", "状态", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, list.map((n) => {
        const err = h("span", { class: "error", role: "alert" });
        return h("tr", { "data-notice": n.id, "data-status": n.status },
          h("td", {}, when(n.created_at)),
          h("td", {}, n.lawyer_id || (n.audience === "finance" ? "财务人员" : "协调员")),
          h("td", {}, n.subject),
          h("td", {}, STATUS[n.status], n.channel ? `（${channelText(n.channel)}）` : "",
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
