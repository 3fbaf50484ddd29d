// Every Chinese label the page shows for a code of the API, one table per kind of code.
// The browser test (api/tests/browser.rs, phase `labels` of web-tests/run.mjs) checks that
// every code the API can return has a label here: add the label when the API gains a code.

/** Half-days. */
export const HALF = { am: "上午", pm: "下午" };

/** The usual quality ratings of a duty (a centre's subsidy policy names its own; an
 *  unknown key is shown as it is). */
export const QUALITY = { excellent: "优秀", standard: "合格", fail: "不合格" };

/** Roles on a duty. */
export const ROLE = { primary: "值班", backup: "备班" };

/** Weekdays, Sunday first (as `Date.getDay()`). */
export const WEEKDAY = ["日", "一", "二", "三", "四", "五", "六"];

/** Who a token belongs to (`GET /me`). */
export const ACCOUNT_ROLES = {
  admin: "管理员", director: "主任", coordinator: "协调员", finance: "财务",
  firm_admin: "律所管理员", lawyer: "律师", station: "工作站",
};

/** Where an account stands. */
export const ACCOUNT_STATE = { invited: "待设置密码", active: "正常", locked: "已锁定", disabled: "已停用" };

/** Hard rules an assignment or an edit breaks (`violations[].rule`). */
export const RULES = {
  no_such_slot: "该时段无值班需求",
  unknown_lawyer: "不在律师名册中",
  not_eligible: "资质、语言、执业年限或签约律所不符",
  unavailable: "该时段不可值班（固定不可用、请假或日程冲突）",
  over_filled: "该岗位人数已满",
  double_booked: "同一半天已在其他站点值班",
  over_limit: "超过每日/每周/每月值班上限",
  too_far_apart: "同日上下午站点相距过远",
  pin_dropped: "固定安排被移除",
};

/** Why a slot is left short (`report.uncovered[].reason.kind`). */
export const REASONS = {
  no_eligible_lawyer: "无符合条件的律师",
  eligible_unavailable: "符合条件的律师均不可用",
  eligible_at_limits: "符合条件的律师已有值班或达上限",
};

/** What holds an available, eligible lawyer from a short slot (`eligible_at_limits`). */
export const BUSY = {
  same_half_day: "同一半天已有值班",
  day_limit: "已达每日上限",
  week_limit: "已达每周上限",
  month_limit: "已达每月上限",
  too_far: "另半天的站点相距过远",
  other: "已安排在更需要的岗位",
};

/** Where a roster version stands. */
export const VERSION_STATUS = { draft: "草稿", published: "已发布", superseded: "已被替代" };

/** Where a solve job stands. */
export const JOB_STATUS = { queued: "排队中", running: "求解中", succeeded: "已完成", failed: "失败" };

/** Where a swap stands. */
export const SWAP_STATUS = {
  offered: "待接班律师确认",
  accepted: "待协调员批准",
  approved: "已批准",
  rejected: "已拒绝",
  cancelled: "已撤回",
};

/** A duty's attendance (`GET /attendance`, `state`). */
export const ATTENDANCE = {
  upcoming: "未开始",
  checked_in: "已签到",
  attended: "已出勤",
  excused: "已准假",
  no_show: "缺勤",
  needs_approval: "待协调员确认",
  voided: "已作废",
  standby: "备班未启用",
};

/** Where a month's statement stands. */
export const STATEMENT_STATUS = { open: "未审核", locked: "已审核（锁定）" };

/** The rule a statement line applies (the same words as the server's exports). */
export const LINE_RULES = {
  half_day: "半日值班",
  full_day: "全日值班",
  quality: "质量评价调整",
  plea_case: "认罪认罚案件",
  cross_district: "跨区县补助",
  monthly_cap: "月度封顶扣减",
  adjustment: "往月更正",
};

/** A violation in words, naming the lawyer when it is about one assignment. */
export function violationText(v) {
  const a = v.assignment || {};
  const rule = RULES[v.rule] || v.rule;
  return a.lawyer_id ? `${rule}（${a.lawyer_id}）` : rule;
}

/** Why a slot is short, in words, with the lawyers concerned. */
export function reasonText(r) {
  if (!r) return "";
  if (r.kind === "no_eligible_lawyer") {
    const later = (r.licensed_later || []).map(([id, date]) => `${id}（${date}起执业）`);
    return later.length ? `${REASONS.no_eligible_lawyer}；执业证日期晚于当日：${later.join("、")}` : REASONS.no_eligible_lawyer;
  }
  if (r.kind === "eligible_unavailable") return `符合条件的 ${r.lawyers.length} 名律师均不可用`;
  if (r.kind === "eligible_at_limits") return `符合条件的 ${r.lawyers.length} 名律师已有值班或达上限`;
  return REASONS[r.kind] || r.kind;
}

/** Kinds of station. */
export const STATION_KIND = { detention_centre: "看守所", court: "人民法院", procuratorate: "人民检察院" };
