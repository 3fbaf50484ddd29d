// The director's view (主任): read-only rosters and subsidy statements of their centres and
// every centre below them, switched from the header. Nothing here changes anything, and the
// server refuses any change a director's session asks for.
import { tabs } from "./dom.js";
import { coordinatorView } from "./coordinator.js";
import { financeView } from "./finance.js";
import { reportsView } from "./reports.js";

export async function directorView(me) {
  return tabs({
    rosters: ["排班", () => coordinatorView(me, { readOnly: true })],
    statements: ["值班补贴", () => financeView(me, { readOnly: true })],
    reports: ["统计", () => reportsView(me)],
  }, "rosters");
}
