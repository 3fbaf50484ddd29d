// Offering a duty to a colleague without typing codes: the colleagues who could take it
// (GET /api/v1/swaps/candidates), best first, to pick from.
import { api } from "./api.js";
import { fail, h } from "./dom.js";

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
