// Offering a duty to a colleague without typing codes: the colleagues who could take it
// (GET /api/v1/swaps/candidates), best first, to pick from.
import { api } from "./api.js";
import { fail, h, toast } from "./dom.js";

/** Adds to `card` a form offering duty `a`; `forLawyer`: the firm's lawyer a firm
 *  administrator acts for (null for the lawyer themselves); `done` runs after an offer. */
export async function offerForm(a, card, forLawyer, done) {
  if (card.querySelector("form.swap")) return;
  const err = h("p", { class: "error", role: "alert" });
  const pick = h("select", { name: "to", required: true, "aria-label": "接班律师" }, h("option", { value: "" }, "加载中…"));
  const form = h("form", { class: "row swap" },
    h("label", {}, "接班律师 ", pick),
    h("label", {}, "说明 ", h("input", { name: "note", placeholder: "可选" })),
    h("button", { type: "submit" }, "提交换班申请"), err);
  card.append(form);
  const q = new URLSearchParams({ station_id: a.station_id, date: a.date, half_day: a.half_day, role: a.role });
  if (forLawyer) q.set("from_lawyer_id", forLawyer);
  try {
    const list = await api("GET", `/api/v1/swaps/candidates?${q}`);
    pick.replaceChildren(h("option", { value: "" }, list.length ? "请选择" : "暂无可接班的律师"),
      ...list.map((c) => h("option", { value: c.lawyer_id }, `${c.name}（${c.firm_name || c.firm_id}，本期已排 ${c.current_load} 次）`)));
  } catch (e) {
    pick.replaceChildren(h("option", { value: "" }, "无法换班"));
    fail(e, err);
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = { station_id: a.station_id, date: a.date, half_day: a.half_day, role: a.role,
      to_lawyer_id: pick.value, note: form.note.value };
    if (forLawyer) body.from_lawyer_id = forLawyer;
    try {
      await api("POST", "/api/v1/swaps", body);
      form.replaceWith(h("p", {}, "换班申请已提交，等待接班律师确认和协调员批准。"));
      if (done) await done();
    } catch (e) {
      fail(e, err);
    }
  });
}

const SWAP_WORDS = { offered: "待接班律师确认", accepted: "待协调员批准", approved: "已批准", rejected: "已拒绝", cancelled: "已撤回" };

/** The lawyer's swaps: offers to them to accept or decline, their own offers to withdraw. */
export function mySwaps(me, after) {
  const box = h("div", { id: "my-swaps" }, h("p", { class: "muted" }, "加载中…"));
  const section = h("section", { class: "card", id: "swaps" }, h("h2", {}, "换班"), box);
  showMine(box, me, after);
  return section;
}

async function showMine(box, me, after) {
  try {
    const r = await api("GET", "/api/v1/swaps?limit=30");
    const live = r.items.filter((s) => s.status === "offered" || s.status === "accepted" || s.from_lawyer === me.lawyer_id);
    if (!live.length) return box.replaceChildren(h("p", { class: "muted" }, "暂无换班。"));
    const act = async (s, what, ok) => {
      try {
        await api("POST", `/api/v1/swaps/${s.id}/${what}`, {});
        toastOk(ok);
        await showMine(box, me, after);
        if (after && what === "accept") await after();
      } catch (e) {
        fail(e, box.querySelector(`[data-swap="${s.id}"] .error`));
      }
    };
    box.replaceChildren(h("ul", { class: "plain" }, live.slice(0, 20).map((s) => {
      const mine = s.from_lawyer === me.lawyer_id;
      const what = `${s.date} ${s.half_day === "am" ? "上午" : "下午"} ${s.station_id}`;
      const who = mine ? `转给 ${s.to_lawyer}` : `${s.from_lawyer} 请您接班`;
      return h("li", { "data-swap": s.id }, h("strong", {}, SWAP_WORDS[s.status] || s.status), ` ${what}，${who}`,
        s.note ? h("div", { class: "muted" }, s.note) : null,
        !mine && s.status === "offered" ? h("div", { class: "actions" },
          h("button", { class: "accept-swap", onclick: () => act(s, "accept", "已接受") }, "接受"),
          h("button", { class: "secondary decline-swap", onclick: () => act(s, "reject", "已拒绝") }, "拒绝")) : null,
        mine && (s.status === "offered" || s.status === "accepted")
          ? h("button", { class: "secondary cancel-swap", onclick: () => act(s, "cancel", "已撤回") }, "撤回") : null,
        h("span", { class: "error", role: "alert" }));
    })));
  } catch (e) {
    fail(e, box);
  }
}

/** The coordinator's swaps waiting for approval. */
export function swapApprovals() {
  const box = h("div", { id: "swap-approvals" }, h("p", { class: "muted" }, "加载中…"));
  showApprovals(box);
  return h("section", { class: "card" }, h("h2", {}, "待批准的换班"), box);
}

async function showApprovals(box) {
  try {
    const r = await api("GET", "/api/v1/swaps?limit=100");
    const waiting = r.items.filter((s) => s.status === "accepted");
    if (!waiting.length) return box.replaceChildren(h("p", { class: "muted" }, "没有待批准的换班。"));
    box.replaceChildren(h("ul", { class: "plain" }, waiting.map((s) => {
      const err = h("span", { class: "error", role: "alert" });
      const act = async (what) => {
        try {
          await api("POST", `/api/v1/swaps/${s.id}/${what}`, {});
          toastOk(what === "approve" ? "已批准，新排班已发布" : "已拒绝");
          await showApprovals(box);
        } catch (e) {
          fail(e, err);
        }
      };
      return h("li", { "data-swap": s.id },
        `${s.date} ${s.half_day === "am" ? "上午" : "下午"} ${s.station_id}：${s.from_lawyer} 转给 ${s.to_lawyer}`,
        s.note ? h("div", { class: "muted" }, s.note) : null,
        h("div", { class: "actions" },
          h("button", { class: "approve-swap", onclick: () => act("approve") }, "批准"),
          h("button", { class: "secondary reject-swap", onclick: () => act("reject") }, "拒绝")), err);
    })));
  } catch (e) {
    fail(e, box);
  }
}

function toastOk(msg) {
  toast(msg);
}
