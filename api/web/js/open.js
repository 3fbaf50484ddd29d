// Open duties (待认领值班): the coordinator opens empty or extra posts at a published
// half-day; lawyers see the ones they could take and claim one. The first valid claim wins,
// or, where the centre's coordinators pick among claimants, the claim waits as a bid
// (报名) until the coordinator picks one.
import { api } from "./api.js";
import { fail, fill, h, toast } from "./dom.js";
import { dayLabel, iso } from "./format.js";
import { HALF } from "./labels.js";

const STATUS = { open: "待认领", filled: "已满", cancelled: "已撤销" };

/** The lawyer's section: open duties they could claim. `after` runs after a claim won. */
export function claimSection(after) {
  const box = h("div", { id: "open-duties" }, h("p", { class: "muted" }, "加载中…"));
  const section = h("section", { class: "card", id: "claim" }, h("h2", {}, "可认领的值班"),
    h("p", { class: "muted" }, "中心临时增加或空缺的值班岗位。一般先到先得，认领后即列入您的值班；由协调员选定的中心，认领即为报名，选定后列入值班。"), box);
  claimable(box, after);
  return section;
}

async function claimable(box, after) {
  try {
    const list = await api("GET", "/api/v1/open-duties");
    if (!list.length) return fill(box, h("p", { class: "muted" }, "暂无可认领的值班。"));
    fill(box, list.map((d) => {
      const err = h("p", { class: "error", role: "alert" });
      return h("article", { class: "card open-duty", "data-open": d.id },
        h("div", { class: "when" }, `${dayLabel(d.date)} ${HALF[d.half_day]} · 还差 ${d.posts - d.filled} 人`),
        h("div", {}, d.station_name || d.station_id),
        d.note ? h("div", { class: "muted" }, d.note) : null,
        d.my_bid && d.my_bid !== "withdrawn" ? bidState(d, box, after, err) :
        h("div", { class: "actions" }, h("button", { class: "claim", onclick: async (e) => {
          e.target.disabled = true;
          try {
            const r = await api("POST", `/api/v1/open-duties/${d.id}/claim`, {});
            toast(r.status === "waiting" ? "已报名，等待协调员选定" : "认领成功，已列入您的值班");
            await claimable(box, after);
            if (after) await after();
          } catch (x) {
            e.target.disabled = false;
            fail(x, err);
            await claimable(box, after);
          }
        } }, "认领")), err);
    }));
  } catch (e) {
    fail(e, box);
  }
}

/** What became of the lawyer's bid for `d`; a waiting one can be withdrawn. */
function bidState(d, box, after, err) {
  const words = { waiting: "已报名，等待协调员选定", picked: "已选定，已列入您的值班", passed: "未选中（岗位已满或已撤销）", declined: "未选中" };
  return h("div", { class: "actions" }, h("span", { class: "status" }, words[d.my_bid] || d.my_bid),
    d.my_bid === "waiting" ? h("button", { class: "secondary withdraw-bid", onclick: async () => {
      try {
        await api("POST", `/api/v1/open-duties/${d.id}/withdraw-bid`, {});
        toast("已撤回报名");
        await claimable(box, after);
      } catch (x) {
        fail(x, err);
      }
    } }, "撤回报名") : null);
}

/** The coordinator's section: open posts at a station's half-day, and those opened. */
export function openSection(stations) {
  const err = h("p", { class: "error", role: "alert" });
  const form = h("form", { class: "row", id: "open-form" },
    h("label", {}, "工作站 ", h("select", { name: "station" }, stations.map((s) => h("option", { value: s.id }, s.name)))),
    h("label", {}, "日期 ", h("input", { name: "date", type: "date", required: true, value: iso(new Date()) })),
    h("label", {}, "时段 ", h("select", { name: "half" }, h("option", { value: "am" }, "上午"), h("option", { value: "pm" }, "下午"))),
    h("label", {}, "人数 ", h("input", { name: "posts", type: "number", min: 1, max: 100, value: 1, required: true })),
    h("label", {}, h("input", { name: "extra", type: "checkbox", checked: true }), " 临时增加（超出常规需求）"),
    h("label", {}, "说明 ", h("input", { name: "note", maxlength: 500, placeholder: "如 同案被告人17名，开庭前会见" })),
    h("button", { type: "submit" }, "发布待认领岗位"), err);
  const list = h("div", { id: "opened" });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    try {
      await api("POST", "/api/v1/open-duties", { station_id: form.station.value, date: form.date.value,
        half_day: form.half.value, posts: Number(form.posts.value), extra: form.extra.checked, note: form.note.value });
      toast("已发布，符合条件的律师可以认领");
      await opened(list);
    } catch (e) {
      fail(e, err);
    }
  });
  opened(list);
  return h("section", { class: "card", id: "open" }, h("h2", {}, "待认领岗位"), form, list);
}

async function opened(box) {
  try {
    const list = await api("GET", "/api/v1/open-duties");
    fill(box, list.length
      ? h("ul", { class: "plain" }, list.map((d) => {
        const bids = h("div", { class: "bids" });
        return h("li", { "data-open": d.id },
          `${STATUS[d.status]} · ${dayLabel(d.date)} ${HALF[d.half_day]} ${d.station_name}：已认领 ${d.filled}/${d.posts}${d.extra ? "（临时增加）" : ""}`,
          d.waiting_bids && d.status === "open"
            ? [" ", h("button", { class: "secondary show-bids", onclick: () => showBids(d, bids, box) }, `报名律师（${d.waiting_bids}）`)]
            : null,
          bids);
      }))
      : h("p", { class: "muted" }, "暂无。"));
  } catch (e) {
    fail(e, box);
  }
}

/** The bids for open duty `d`, each waiting one with a button to pick it. */
async function showBids(d, box, list) {
  const err = h("p", { class: "error", role: "alert" });
  try {
    const bids = await api("GET", `/api/v1/open-duties/${d.id}/bids`);
    const state = { waiting: "待选定", picked: "已选定", passed: "未选中", declined: "已婉拒", withdrawn: "本人已撤回" };
    const act = (b, what, done) => async () => {
      try {
        await api("POST", `/api/v1/open-duties/${d.id}/bids/${b.id}/${what}`, {});
        toast(done);
        await opened(list);
      } catch (e) {
        fail(e, err);
      }
    };
    fill(box, h("ol", {}, bids.map((b) => h("li", { "data-bid": b.id },
      `${b.lawyer_name}（${b.lawyer_id}，${b.firm_name}）${new Date(b.bid_at).toLocaleString("zh-CN")} 报名 · ${state[b.status]} `,
      b.status === "waiting" ? [h("button", { class: "pick-bid", onclick: act(b, "pick", `已选定 ${b.lawyer_name}，排班已发布`) }, "选定"), " ",
        h("button", { class: "secondary decline-bid", onclick: act(b, "decline", "已婉拒") }, "婉拒")] : null))), err);
  } catch (e) {
    fail(e, box);
  }
}
