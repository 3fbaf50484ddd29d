// The director's view (主任): read-only rosters and subsidy statements of their centres and
// every centre below them, switched from the header. Nothing here changes anything, and the
// server refuses any change a director's session asks for.
import { $, fill, h } from "./dom.js";
import { coordinatorView } from "./coordinator.js";
import { financeView } from "./finance.js";

const VIEWS = { rosters: "排班", statements: "值班补贴" };

export async function directorView(me) {
  const nav = $("#views");
  const show = (which) => {
    for (const b of nav.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.view === which));
    return which === "rosters" ? coordinatorView(me, { readOnly: true }) : financeView(me, { readOnly: true });
  };
  fill(nav, ...Object.entries(VIEWS).map(([key, label]) =>
    h("button", { "data-view": key, id: `view-${key}`, onclick: () => show(key) }, label)));
  nav.hidden = false;
  return show("rosters");
}
