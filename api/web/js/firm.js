// The firm administrator's view (律所管理员): the firm's lawyers with their phones; a
// lawyer's coming duties, each of which can be offered to a colleague on the lawyer's
// behalf; and the swaps of the firm's lawyers, to accept or decline for the taker or to
// withdraw for the giver. The server checks every step as it does for the lawyer.
import { api, items } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { dayLabel, iso } from "./format.js";
import { HALF, ROLE, SWAP_STATUS } from "./labels.js";
import { offerForm } from "./swap.js";

export async function firmView(me) {
  const st = { me, lawyers: [], selected: null };
  fill(main(),
    h("section", { class: "card", id: "firm-lawyers" }, h("h2", {}, "本所律师"), h("p", { class: "muted" }, "加载中…")),
    h("section", { class: "card", id: "firm-duties" }, h("h2", {}, "值班安排"), h("p", { class: "muted" }, "请在上方选择一位律师。")),
    h("section", { class: "card", id: "firm-swaps" }, h("h2", {}, "换班")));
  const page = await api("GET", "/api/v1/lawyers?limit=500");
  st.lawyers = items(page);
  fill($("#firm-lawyers"), h("h2", {}, `本所律师（${st.lawyers.length} 人）`),
    h("table", { class: "list" },
      h("tr", {}, h("th", {}, "姓名"), h("th", {}, "编号"), h("th", {}, "电话"), h("th", {}, "状态"), h("th", {}, "")),
      st.lawyers.map((l) => h("tr", {},
        h("td", {}, l.name), h("td", {}, l.id), h("td", {}, l.phone), h("td", {}, l.active ? "在册" : "暂停"),
        h("td", {}, h("button", { class: "secondary", onclick: () => duties(st, l) }, "查看值班"))))));
  await swaps(st);
}

const nameOf = (st, id) => st.lawyers.find((l) => l.id === id)?.name || id;

async function duties(st, lawyer) {
  st.selected = lawyer;
  const box = $("#firm-duties");
  try {
    const r = await api("GET", `/api/v1/duties?lawyer_id=${encodeURIComponent(lawyer.id)}&from=${iso(new Date())}&limit=50`);
    fill(box, h("h2", {}, `${lawyer.name} 的值班安排`),
      items(r).length ? null : h("p", {}, "近期没有值班。"),
      ...items(r).map((d) => {
        const a = d.assignment;
        const card = h("article", { class: "card duty", "data-duty": `${a.station_id}|${a.date}|${a.half_day}|${a.role}` },
          h("div", { class: "when" }, `${dayLabel(a.date)} ${HALF[a.half_day]} · ${ROLE[a.role]}`),
          h("div", {}, a.station_id),
          h("div", { class: "actions" }, h("button", { class: "secondary", onclick: () => offerForm(a, card, a.lawyer_id, () => swaps(st)) }, "代为换班")));
        return card;
      }));
  } catch (e) {
    fail(e, box);
  }
}

async function swaps(st) {
  const box = $("#firm-swaps");
  const mine = new Set(st.lawyers.map((l) => l.id));
  const r = await api("GET", "/api/v1/swaps?limit=100");
  const act = async (id, what, done) => {
    try {
      await api("POST", `/api/v1/swaps/${id}/${what}`);
      toast(done);
      await swaps(st);
    } catch (e) {
      fail(e, $("#swaps-error"));
    }
  };
  const open = (s) => s.status === "offered" || s.status === "accepted";
  fill(box, h("h2", {}, "换班"), h("p", { id: "swaps-error", class: "error", role: "alert" }),
    items(r).length ? h("table", { class: "list", id: "swap-list" },
      h("tr", {}, h("th", {}, "值班"), h("th", {}, "交出"), h("th", {}, "接班"), h("th", {}, "状态"), h("th", {}, "")),
      items(r).map((s) => h("tr", {},
        h("td", {}, `${dayLabel(s.date)} ${HALF[s.half_day]} · ${s.station_id}`),
        h("td", {}, nameOf(st, s.from_lawyer)), h("td", {}, nameOf(st, s.to_lawyer)),
        h("td", {}, SWAP_STATUS[s.status] || s.status),
        h("td", { class: "actions" },
          s.status === "offered" && mine.has(s.to_lawyer) ? h("button", { onclick: () => act(s.id, "accept", "已代为接受") }, "代为接受") : null,
          s.status === "offered" && mine.has(s.to_lawyer) ? h("button", { class: "secondary", onclick: () => act(s.id, "reject", "已代为拒绝") }, "代为拒绝") : null,
          open(s) && mine.has(s.from_lawyer) ? h("button", { class: "secondary", onclick: () => act(s.id, "cancel", "已撤回") }, "撤回") : null)))) : h("p", { class: "muted" }, "暂无换班。"));
}
