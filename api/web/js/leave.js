// Leave requests (请假申请): a lawyer asks on the phone and follows each request; the
// coordinator sees the waiting ones with the published duties each would hit, approves
// (which queues a repair draft when duties are hit) or rejects with a note.
import { api, names } from "./api.js";
import { $, fail, fill, h, main, toast } from "./dom.js";
import { addDays, dayLabel, iso } from "./format.js";
import { HALF, ROLE } from "./labels.js";
import { openSection } from "./open.js";
import { swapApprovals } from "./swap.js";

/** A request's status in words. */
const STATUS = { requested: "待审批", approved: "已批准", rejected: "未批准", withdrawn: "已撤回" };

/** The dates and half-day of a request. */
function span(r) {
  const days = r.from === r.to ? dayLabel(r.from) : `${dayLabel(r.from)} 至 ${dayLabel(r.to)}`;
  return `${days} ${r.half_day ? HALF[r.half_day] : "全天"}`;
}

/** The lawyer's leave section: the form and their requests. `lawyer`: whose leave (a firm
 *  administrator names one of the firm's lawyers; a lawyer asks for themselves). */
export function leaveSection(lawyer) {
  const err = h("p", { class: "error", role: "alert" });
  const list = h("div", { id: "my-leave" }, h("p", { class: "muted" }, "加载中…"));
  const start = addDays(iso(new Date()), 3);
  const form = h("form", { class: "stack", id: "leave-form" },
    h("label", {}, "开始日期 ", h("input", { name: "from", type: "date", required: true, value: start })),
    h("label", {}, "结束日期 ", h("input", { name: "to", type: "date", required: true, value: start })),
    h("label", {}, "时段 ", h("select", { name: "half_day" },
      h("option", { value: "" }, "全天"), h("option", { value: "am" }, "上午"), h("option", { value: "pm" }, "下午"))),
    h("label", {}, "事由 ", h("input", { name: "reason", required: true, maxlength: 200, placeholder: "如 开庭、病假、年假" })),
    h("button", { type: "submit" }, "提交请假申请"), err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    err.textContent = "";
    const body = { from: form.from.value, to: form.to.value, reason: form.reason.value };
    if (form.half_day.value) body.half_day = form.half_day.value;
    if (lawyer) body.lawyer_id = lawyer;
    try {
      const r = await api("POST", "/api/v1/leave-requests", body);
      toast(r.affected?.length ? `已提交，涉及 ${r.affected.length} 个已排值班，等待协调员审批` : "已提交，等待协调员审批");
      form.reason.value = "";
      await myRequests(list);
    } catch (e) {
      fail(e, err);
    }
  });
  const section = h("section", { class: "card", id: "leave" }, h("h2", {}, "请假申请"),
    h("p", { class: "muted" }, "请提前申请。协调员批准后，排班将不再安排您在请假时段值班。"), form, list);
  myRequests(list);
  return section;
}

async function myRequests(box) {
  try {
    const r = await api("GET", "/api/v1/leave-requests?limit=20");
    if (!r.items.length) return fill(box, h("p", { class: "muted" }, "暂无请假申请。"));
    fill(box, h("ul", { class: "plain" }, r.items.map((x) => h("li", { "data-leave": x.id },
      h("strong", {}, STATUS[x.status]), ` ${span(x)}：${x.reason}`,
      x.note ? h("div", { class: "muted" }, `协调员意见：${x.note}`) : null,
      x.status === "requested" ? h("button", { class: "secondary withdraw", onclick: async () => {
        try {
          await api("POST", `/api/v1/leave-requests/${x.id}/withdraw`);
          toast("已撤回");
          await myRequests(box);
        } catch (e) {
          fail(e);
        }
      } }, "撤回") : null))));
  } catch (e) {
    fail(e, box);
  }
}

/** The coordinator's 请假与认领 view: waiting requests first, then the latest decided, then
 *  posts opened for claiming. */
export async function leaveQueue() {
  const stations = await api("GET", "/api/v1/stations?limit=500");
  fill(main(),
    h("section", { class: "card" }, h("h2", {}, "待审批的请假"), h("div", { id: "leave-waiting" }, h("p", { class: "muted" }, "加载中…"))),
    h("section", { class: "card" }, h("h2", {}, "最近的请假"), h("div", { id: "leave-recent" })),
    swapApprovals(),
    openSection(stations.items));
  const known = await names();
  await showQueue(known.names);
}

async function showQueue(who) {
  const [waiting, recent] = await Promise.all([
    api("GET", "/api/v1/leave-requests?status=requested&limit=100"),
    api("GET", "/api/v1/leave-requests?limit=30"),
  ]);
  const name = (id) => who[id] ? `${who[id]}（${id}）` : id;
  fill($("#leave-waiting"), waiting.items.length
    ? waiting.items.map((r) => waitingCard(r, name, who))
    : h("p", { class: "muted" }, "没有待审批的请假。"));
  const done = recent.items.filter((r) => r.status !== "requested");
  fill($("#leave-recent"), done.length
    ? h("ul", { class: "plain" }, done.map((r) => h("li", {}, `${STATUS[r.status]} · ${name(r.lawyer_id)} ${span(r)}：${r.reason}${r.note ? `（${r.note}）` : ""}`)))
    : h("p", { class: "muted" }, "暂无。"));
}

function waitingCard(r, name, who) {
  const note = h("input", { name: "note", maxlength: 200, placeholder: "意见（可选）", "aria-label": "审批意见" });
  const err = h("p", { class: "error", role: "alert" });
  const hit = r.affected || [];
  const decide = async (what) => {
    try {
      const out = await api("POST", `/api/v1/leave-requests/${r.id}/${what}`, { note: note.value });
      toast(what === "approve"
        ? (out.repair_jobs?.length ? `已批准，已提交调整（任务 #${out.repair_jobs.join("、#")}），完成后在“排班”中审核并发布草稿` : "已批准")
        : "已驳回");
      await showQueue(who);
    } catch (e) {
      fail(e, err);
    }
  };
  return h("article", { class: "card leave-request", "data-leave": r.id },
    h("div", { class: "when" }, `${name(r.lawyer_id)} · ${span(r)}`),
    h("div", {}, `事由：${r.reason}`),
    hit.length
      ? h("div", { class: "error" }, `将影响 ${hit.length} 个已发布的值班：`,
        h("ul", {}, hit.slice(0, 10).map((d) => h("li", {}, `${dayLabel(d.assignment.date)} ${HALF[d.assignment.half_day]} ${d.assignment.station_id} ${ROLE[d.assignment.role]}`))))
      : h("div", { class: "muted" }, "不影响已发布的值班。"),
    h("div", { class: "row" }, note,
      h("button", { class: "approve", onclick: () => decide("approve") }, hit.length ? "批准并生成调整草稿" : "批准"),
      h("button", { class: "secondary reject", onclick: () => decide("reject") }, "驳回")),
    err);
}
