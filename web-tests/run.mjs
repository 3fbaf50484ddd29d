// Drives zhiban's web page in Debian's headless Chromium through playwright-core.
// (Over 600 lines: one short function per phase, sharing the sign-in and checks above them;
// splitting the phases across files would only add imports.)
// Run by api/tests/browser.rs, one phase at a time:
//   node run.mjs coordinator|lawyer|finance|director|firmadmin|admin|panel|import|labels|leaveask|leavedecide|claim|attendance|swaptake|swapapprove|ledgerfill|ledgerrate|pickbid|channels|prefs
// Environment: BASE_URL, LOGIN and CODE (an account and its invitation code), SHOTS (screenshot folder), CHROMIUM (executable),
// for the lawyer LAT and LON (where the browser says it is), for labels CODES (every code
// the API can return, by table of the page's labels module).
// Prints one JSON line of findings on success; exits non-zero with the reason otherwise.
import { chromium } from "playwright-core";
import { readFileSync, writeFileSync } from "node:fs";

const phase = process.argv[2];
let current = null;
const base = process.env.BASE_URL;
const login = process.env.LOGIN;
const code = process.env.CODE;
const password = `浏览器测试密码 ${process.argv[2]}`;
const shots = process.env.SHOTS;
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

function check(cond, msg) {
  if (!cond) throw new Error(msg);
}

/** A new page whose console errors and warnings, script errors and failed requests are noted. */
async function watched(browser, options) {
  const context = await browser.newContext({ locale: "zh-CN", timezoneId: "Asia/Shanghai", ...options });
  // The phone's own clock, when a phase says what day it is there.
  if (process.env.NOW) await context.clock.setFixedTime(new Date(process.env.NOW));
  const page = await context.newPage();
  const problems = [];
  current = { page, problems };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  return { context, page, problems };
}

async function open(browser, options) {
  const { context, page, problems } = await watched(browser, options);
  // An invitation link for the coordinator; the others find "first time?" themselves.
  await page.goto(base + "/" + (phase === "coordinator" ? `#activate=${code}` : ""));
  check((await page.title()).includes("值班"), "the page title is Chinese");
  if (phase !== "coordinator") {
    // A wrong password is refused with a message (its 401s are the errors the console may show).
    await page.waitForSelector("#login-form");
    await page.fill("#login-name", login);
    await page.fill("#password", "not the password 123");
    await page.click("#login-form button[type=submit]");
    await page.waitForFunction(() => document.querySelector("#login-error").textContent.includes("不正确"));
    await page.click("#first-time");
    await page.fill("#code", code.toLowerCase());
  }
  await page.waitForSelector("#activate-form");
  check((await page.inputValue("#code")).toUpperCase() === code, "the code is filled in");
  await page.fill("#new-password", password);
  await page.fill("#new-password-2", password);
  await page.click("#activate-form button[type=submit]");
  await page.waitForFunction(() => document.querySelector("#login h2").textContent.includes("密码已设置"));
  check((await page.inputValue("#login-name")) === login, "the login name is filled in after activation");
  problems.length = 0;
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
  await page.waitForSelector("#logout:not([hidden])");
  check(!(await page.$("#token")), "no token field");
  return { context, page, problems };
}

async function coordinator(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.waitForSelector("#centre option", { state: "attached" });
  await page.waitForSelector("#rosters option", { state: "attached" });
  await page.selectOption("#weeks", "2");
  if (process.env.FROM) await page.fill("#from", process.env.FROM);
  await page.click("#generate");
  // The progress bar shows while the solver works, then the grid.
  await page.waitForSelector("#job:not([hidden])");
  await page.waitForSelector("#grid td.slot", { timeout: 120000 });
  const progress = await page.textContent("#job-text");
  check(progress.includes("已完成") && progress.includes("下界") && progress.includes("差距"), `progress text: ${progress}`);
  check((await page.getAttribute("#bar", "style")).includes("100%"), "the bar ends full");
  check((await page.textContent("#version-status")) === "草稿", "a new roster is a draft");
  const filled = await page.$$eval("#grid span.p", (els) => els.length);
  check(filled > 5, `the grid shows lawyers on duty (${filled})`);
  const uncovered = await page.$$eval("#grid td.uncovered", (els) => els.map((e) => e.textContent));
  check(uncovered.every((t) => t.includes("缺") && t.includes("不可用")), `uncovered slots say why: ${uncovered}`);
  const red = await page.$eval("#grid td.uncovered", (e) => getComputedStyle(e).backgroundColor).catch(() => "none");
  check(red === "rgb(253, 232, 232)", `uncovered slots are red (${red})`);
  // Pick a slot with a primary lawyer and reassign it to the best valid suggestion.
  const slot = await page.$$eval("#grid td.slot", (tds) => {
    const td = tds.find((t) => t.querySelector("span.p"));
    return td.getAttribute("data-slot");
  });
  const before = await page.$eval(`td[data-slot="${slot}"] span.p`, (e) => e.textContent);
  // The grid's text is at least 14 px, and a slot opens from the keyboard.
  const gridPx = await page.$eval("#grid", (e) => parseFloat(getComputedStyle(e).fontSize));
  check(gridPx >= 14, `the grid's text is ${gridPx} px`);
  await page.focus(`td[data-slot="${slot}"]`);
  await page.keyboard.press("Enter");
  await page.waitForSelector("#suggestions ol.suggest li");
  const invalid = await page.$$eval("#suggestions li.invalid .violation", (els) => els.map((e) => e.textContent));
  check(invalid.length > 0, "rule violations are shown before saving");
  const choice = await page.$eval("#suggestions li.valid strong", (e) => e.textContent);
  await page.click("#suggestions li.valid button.assign");
  await page.waitForFunction(
    ([s, b]) => {
      const e = document.querySelector(`td[data-slot="${s}"] span.p`);
      return e && e.textContent !== b;
    },
    [slot, before],
  );
  const after = await page.$eval(`td[data-slot="${slot}"] span.p`, (e) => e.textContent);
  check(choice.startsWith(after.replace(" 📌", "")), `the slot now shows ${choice} (it shows ${after})`);
  // The fairness chart has a bar per lawyer and per firm.
  const bars = await page.$$eval("#fairness svg rect", (els) => els.length);
  check(bars > 3, `fairness bars: ${bars}`);
  // The spread over time: a row per term, and the weekday chart with its accessible name.
  const spreadRows = await page.$$eval("#spread-table tbody tr", (els) => els.length);
  check(spreadRows === 4, `spread rows: ${spreadRows}`);
  const charts = await page.$$eval("#fairness svg", (els) => els.map((e) => e.getAttribute("aria-label")));
  check(charts.some((n) => n && n.includes("星期几")), `fairness charts: ${charts}`);
  await page.screenshot({ path: `${shots}/coordinator-1280x800.png` });
  await page.click("#publish");
  await page.waitForFunction(() => document.querySelector("#version-status")?.textContent === "已发布");
  // The server's printed roster downloads as a PDF.
  const [pdf] = await Promise.all([page.waitForEvent("download"), page.click("#export-pdf")]);
  const pdfBytes = readFileSync(await pdf.path());
  check(pdfBytes.subarray(0, 5).toString() === "%PDF-", "the printed roster is a PDF");
  check(pdf.suggestedFilename().endsWith(".pdf"), `a .pdf file: ${pdf.suggestedFilename()}`);
  // Printing the page itself: only the roster grid, no buttons or header.
  await page.emulateMedia({ media: "print" });
  check(await page.isVisible("#grid"), "the grid prints");
  for (const hidden of ["header#top", "#publish, #new-draft", "#fairness", "#slot"]) {
    check(!(await page.isVisible(hidden)), `${hidden} does not print`);
  }
  const fits = await page.evaluate(() => document.querySelector("#grid").getBoundingClientRect().right <= document.documentElement.clientWidth + 1);
  check(fits, "the whole grid fits the page's width");
  await page.pdf({ path: `${shots}/coordinator-print.pdf`, landscape: true, format: "A4" });
  await page.screenshot({ path: `${shots}/coordinator-print-1280x800.png` });
  await page.emulateMedia({ media: "screen" });
  // 字号: larger text, kept with the account (it is there again after a reload).
  await page.selectOption("#font-scale", "130");
  await page.waitForFunction(() => getComputedStyle(document.body).zoom === "1.3");
  await page.waitForTimeout(300);
  await page.goto(base + "/");
  await page.waitForFunction(() => document.querySelector("#font-scale")?.value === "130" && getComputedStyle(document.body).zoom === "1.3");
  await page.screenshot({ path: `${shots}/coordinator-large-text-1280x800.png` });
  await page.selectOption("#font-scale", "100");
  await page.waitForFunction(() => getComputedStyle(document.body).zoom === "1");
  return { problems, slot, before, after, uncovered: uncovered.length, filled };
}

async function lawyer(browser) {
  const lat = Number(process.env.LAT);
  const lon = Number(process.env.LON);
  const { page, problems } = await open(browser, {
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    geolocation: { latitude: lat, longitude: lon },
    permissions: ["geolocation"],
  });
  await page.waitForSelector("article.duty");
  const bodyPx = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
  check(bodyPx >= 16, `a phone's text is at least 16 px (${bodyPx})`);
  check((await page.$("#generate")) === null && (await page.$("#approve")) === null, "a lawyer sees no coordinator or finance controls");
  const duties = await page.$$eval("article.duty", (els) => els.length);
  const first = page.locator("article.duty").first();
  await first.locator("button.checkin").click();
  await first.locator(".status").filter({ hasText: "已签到" }).waitFor();
  const status = await first.locator(".status").textContent();
  await page.click("#feed");
  await page.waitForSelector("#webcal");
  const webcal = await page.getAttribute("#webcal", "href");
  check(webcal.startsWith("webcal://"), `subscription link ${webcal}`);
  await page.screenshot({ path: `${shots}/lawyer-390x844.png` });
  // Checking out at once is refused, saying from when it counts.
  await first.locator("button.checkout").click();
  await page.getByText("最早可于").first().waitFor();
  // That refusal (422) is expected: the browser logs it as a failed resource, once.
  const refused = current.problems.findIndex((p) => p.includes("status of 422"));
  check(refused >= 0, "the early check-out was answered 422");
  current.problems.splice(refused, 1);
  // The test's server clock moves to near the duty's end once this file exists.
  writeFileSync(process.env.ADVANCE_FILE, "");
  await first.locator("button.checkout").click();
  await first.locator(".status").filter({ hasText: "已签退" }).waitFor();
  // Offer a swap of another duty (or this one) to a colleague.
  const last = page.locator("article.duty").last();
  await last.locator("button", { hasText: "换班" }).click();
  await last.locator(`select[name=to] option[value="${process.env.SWAP_TO}"]`).waitFor({ state: "attached" });
  await last.locator("select[name=to]").selectOption(process.env.SWAP_TO);
  await last.locator("button[type=submit]").click();
  await last.getByText("换班申请已提交").waitFor();
  return { problems, duties, status, webcal };
}

async function finance(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  check((await page.$("#generate")) === null && (await page.$("article.duty")) === null, "finance sees no roster controls or duties");
  await page.fill("#month", process.env.MONTH);
  await page.click("#show");
  await page.waitForFunction(() => document.querySelector("#total")?.textContent.includes("元"));
  const total = await page.textContent("#total");
  const rows = await page.$$eval("#by-lawyer tbody tr", (els) => els.length);
  const files = {};
  for (const kind of ["csv", "xlsx"]) {
    const [dl] = await Promise.all([page.waitForEvent("download"), page.click(`#${kind}`)]);
    const bytes = readFileSync(await dl.path());
    files[kind] = { name: dl.suggestedFilename(), size: bytes.length, head: bytes.subarray(0, 4).toString("hex") };
  }
  const csv = files.csv;
  check(csv.head.startsWith("efbbbf"), "the CSV starts with a BOM for Excel");
  check(files.xlsx.head === "504b0304", "the XLSX is a zip file");
  await page.screenshot({ path: `${shots}/finance-1280x800.png` });
  await page.click("#approve");
  await page.waitForFunction(() => document.querySelector("#fin-status")?.textContent.includes("已审核"));
  check(await page.isDisabled("#approve"), "an approved month cannot be approved again");
  return { problems, total, rows, files };
}

// A director (主任) reads rosters and statements, changes nothing, and downloads their data.
async function director(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await page.waitForSelector("#read-only");
  await page.waitForSelector(`#rosters option[value="${process.env.ROSTER}"]`, { state: "attached" });
  await page.selectOption("#rosters", process.env.ROSTER);
  await page.waitForSelector("#grid td.slot span.p");
  check((await page.textContent("#version-status")) === "已发布", "the published version is shown");
  for (const id of ["#generate", "#publish", "#new-draft", "#approve"]) check((await page.$(id)) === null, `a director has no ${id}`);
  const centres = await page.$$eval("#centre option", (els) => els.map((e) => e.value));
  const slot = await page.$$eval("#grid td.slot", (tds) => tds.find((t) => t.querySelector("span.p")).getAttribute("data-slot"));
  await page.click(`td[data-slot="${slot}"]`);
  await page.waitForSelector("#suggestions ol.suggest li");
  check((await page.$$("#suggestions button.assign")).length === 0, "a director cannot reassign");
  await page.screenshot({ path: `${shots}/director-1280x800.png` });
  await page.click("#view-statements");
  await page.waitForFunction(() => document.querySelector("#total")?.textContent.includes("元"));
  check((await page.$("#approve")) === null, "a director cannot approve a month");
  check((await page.getAttribute("#view-statements", "aria-pressed")) === "true", "the header says which view is open");
  // 统计: each section a chart with an accessible name and its numbers in a table; Excel.
  await page.click("#view-reports");
  await page.waitForSelector("#report-coverage svg");
  for (const id of ["#report-coverage", "#report-attendance", "#report-workload", "#report-ledger", "#report-subsidy"]) {
    const label = await page.getAttribute(`${id} svg`, "aria-label");
    check(Boolean(label) && label.length > 5, `${id}: the chart has an accessible name (${label})`);
  }
  const wanted = Number(await page.$eval("#coverage-table tbody tr:last-child td", (e) => e.textContent));
  check(wanted > 0, `the year's coverage counts the published roster (${wanted})`);
  check((await page.textContent("#report-coverage")).includes("未覆盖"), "uncovered posts are said in words");
  await page.screenshot({ path: `${shots}/reports-director-1280x800.png`, fullPage: true });
  const [book] = await Promise.all([page.waitForEvent("download"), page.click("#report-xlsx")]);
  check(readFileSync(await book.path()).subarray(0, 4).toString("hex") === "504b0304", "the report's workbook is a zip file");
  await page.click("#account");
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#my-data")]);
  const data = JSON.parse(readFileSync(await dl.path(), "utf8"));
  check(data.me.user.login === login && Array.isArray(data.sessions) && data.sessions.length === 1, "my data: account and session");
  return { problems, centres, file: dl.suggestedFilename(), keys: Object.keys(data) };
}

// A firm administrator (律所管理员) on a phone: the firm's lawyers, a lawyer's duties, a swap
// offered on the lawyer's behalf and withdrawn.
async function firmadmin(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.waitForSelector("#firm-lawyers table");
  const phones = await page.$$eval("#firm-lawyers tr td:nth-child(3)", (els) => els.map((e) => e.textContent));
  check(phones.length > 0 && phones.every((p) => /^1\d{10}$/.test(p)), `the firm's lawyers with their phones: ${phones}`);
  const ids = await page.$$eval("#firm-lawyers tr td:nth-child(2)", (els) => els.map((e) => e.textContent));
  await page.locator("#firm-lawyers tr", { hasText: process.env.GIVER }).locator("button").click();
  const card = page.locator(`#firm-duties article[data-duty="${process.env.DUTY}"]`);
  await card.waitFor();
  await card.locator("button", { hasText: "代为换班" }).click();
  await card.locator(`select[name=to] option[value="${process.env.SWAP_TO}"]`).waitFor({ state: "attached" });
  await card.locator("select[name=to]").selectOption(process.env.SWAP_TO);
  await card.locator("button[type=submit]").click();
  await card.getByText("换班申请已提交").waitFor();
  await page.waitForSelector("#swap-list");
  await page.screenshot({ path: `${shots}/firmadmin-390x844.png` });
  await page.locator("#swap-list tr", { hasText: "待接班律师确认" }).locator("button", { hasText: "撤回" }).click();
  await page.locator("#swap-list tr", { hasText: "已撤回" }).waitFor();
  return { problems, ids };
}

// An admin changes an account's role in the page and sees the machine tokens.
async function admin(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#account");
  await page.waitForSelector("#tokens table");
  const row = page.locator("#user-list tr", { hasText: process.env.TARGET });
  await row.locator("button", { hasText: "更改角色" }).click();
  const form = page.locator("#user-list tr.role-form form");
  await form.locator("select[name=role]").selectOption("finance");
  await form.locator("select[name=centres]").selectOption(["CH"]);
  await form.locator("button[type=submit]").click();
  await page.locator("#user-list tr", { hasText: process.env.TARGET }).filter({ hasText: "财务" }).waitFor();
  await page.screenshot({ path: `${shots}/admin-1280x800.png` });
  return { problems };
}

// A coordinator keeps the 名册: finds a lawyer and changes the phone, adds a firm, sees a
// bad value refused, and takes a lawyer with duties off the panel, the duties listed first
// and a repair asked for.
async function panel(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-panel");
  await page.waitForSelector("#panel-list tr td");
  await page.fill("#panel-search", process.env.EDIT);
  await page.waitForFunction(() => document.querySelectorAll("#panel-list tr").length === 2);
  await page.click("#panel-list tr:nth-child(2) button");
  await page.fill("#lawyer-form input[name=phone]", "13900000003");
  await page.click("#lawyer-form button[type=submit]");
  await page.locator("#panel-list td", { hasText: "13900000003" }).waitFor();
  // Limits the rules refuse (fewer a week than a day) are named, and nothing is saved.
  await page.click("#panel-list tr:nth-child(2) button");
  await page.fill("#lawyer-form input[name=per_day]", "2");
  await page.fill("#lawyer-form input[name=per_week]", "1");
  await page.click("#lawyer-form button[type=submit]");
  await page.locator("#lawyer-form .error", { hasText: "per_week" }).waitFor();
  const refused = current.problems.findIndex((p) => p.includes("status of 422"));
  check(refused >= 0, "the bad limit was answered 422");
  current.problems.splice(refused, 1);
  // A new firm.
  await page.click("#tab-firms");
  await page.click("#panel-add");
  await page.fill("#firm-form input[name=id]", "CH-F09");
  await page.fill("#firm-form input[name=name]", "广东测试律师事务所");
  await page.click("#firm-form button[type=submit]");
  await page.locator("#panel-list td", { hasText: "广东测试律师事务所" }).waitFor();
  // Off the panel: the duties first, then saved with a repair.
  await page.click("#tab-lawyers");
  await page.fill("#panel-search", process.env.RETIRE);
  await page.waitForFunction(() => document.querySelectorAll("#panel-list tr").length === 2);
  await page.click("#panel-list tr:nth-child(2) button");
  await page.uncheck("#lawyer-form input[name=active]");
  await page.fill("#lawyer-form input[name=reason]", "调离本市");
  await page.click("#lawyer-form button[type=submit]");
  await page.waitForSelector("#affected li");
  const affected = await page.$$eval("#affected li", (els) => els.length);
  await page.locator("#affected").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/panel-1280x800.png` });
  await page.click("#save-repair");
  await page.locator("#panel-list td", { hasText: "已暂停" }).waitFor();
  const headers = await page.$$eval("#panel-list th button", (els) => els.map((e) => e.textContent));
  // A station's check-in range, the rest of its record kept as it was.
  await page.click("#tab-stations");
  await page.locator("#panel-list tr", { hasText: "CH-JCY" }).locator("button").click();
  await page.fill("#station-form input[name=fence]", "250");
  await page.click("#station-form button[type=submit]");
  await page.locator("#panel-list td", { hasText: "250" }).waitFor();
  // The centre shares its pool of lawyers from now on.
  await page.click("#tab-settings");
  await page.check("#settings-form input[name=shares_pool]");
  // Its rosters: balanced by kind of station, consecutive days weighed 10.
  await page.check("#settings-form input[name=by_station_kind]");
  await page.fill('#settings-form input[name="fairness.consecutive_days"]', "10");
  await page.click("#settings-form button[type=submit]");
  await page.getByText("设置已保存").waitFor();
  return { problems, affected, headers };
}

// A coordinator imports a workbook: a broken one lists its problems and changes nothing;
// the fixed one previews its change and is applied.
async function importer(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-panel");
  await page.waitForSelector("#panel-list tr td");
  await page.setInputFiles("#import-file", process.env.BROKEN_BOOK);
  await page.click("#import-preview");
  await page.waitForSelector("#import-errors");
  const errors = await page.$$eval("#import-errors tr", (els) => els.length - 1);
  const first = await page.textContent("#import-errors tr:nth-child(2)");
  await page.setInputFiles("#import-file", process.env.FIXED_BOOK);
  await page.click("#import-preview");
  await page.waitForSelector("#import-changes");
  const changes = await page.$$eval("#import-changes tr", (els) => els.length - 1);
  await page.screenshot({ path: `${shots}/import-1280x800.png` });
  await page.click("#import-apply");
  await page.getByText("导入完成").waitFor();
  return { problems, errors, first, changes };
}

// Every code the API can return has a Chinese label in the labels module the page loads.
// CODES is {table: {code: null, or the label the server itself uses for it}}.
// A lawyer on a phone asks for a day's leave and sees it waiting.
async function leaveask(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.waitForSelector("#leave-form");
  const day = process.env.LEAVE_DAY;
  await page.fill("#leave-form input[name=from]", day);
  await page.fill("#leave-form input[name=to]", day);
  await page.fill("#leave-form input[name=reason]", "开庭");
  await page.click("#leave-form button[type=submit]");
  await page.locator("#my-leave li", { hasText: "待审批" }).waitFor();
  await page.locator("#leave").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/leave-lawyer-390x844.png` });
  return { problems };
}

// The coordinator sees the waiting request with the duty it hits, approves it, and
// publishes the repair draft.
async function leavedecide(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-leave");
  await page.waitForSelector("article.leave-request");
  const affected = await page.$$eval("article.leave-request .error li", (els) => els.length);
  await page.screenshot({ path: `${shots}/leave-coordinator-1280x800.png` });
  await page.click("article.leave-request button.approve");
  await page.getByText("没有待审批的请假").waitFor();
  // The repair draft, once its job is done, is reviewed and published in 排班.
  await page.click("#view-rosters");
  await page.waitForSelector("#rosters option", { state: "attached" });
  let status = "";
  for (let i = 0; i < 60 && status !== "草稿"; i++) {
    await page.selectOption("#rosters", "");
    await page.selectOption("#rosters", process.env.ROSTER);
    await page.waitForTimeout(500);
    status = (await page.textContent("#version-status").catch(() => "")) || "";
  }
  check(status === "草稿", `the repair draft opens (${status})`);
  await page.click("#publish");
  await page.waitForFunction(() => document.querySelector("#version-status")?.textContent === "已发布");
  // A surge: one more lawyer wanted that half-day, opened for claiming.
  await page.click("#view-leave");
  await page.waitForSelector("#open-form");
  await page.selectOption("#open-form select[name=station]", process.env.OPEN_STATION);
  await page.fill("#open-form input[name=date]", process.env.LEAVE_DAY);
  await page.selectOption("#open-form select[name=half]", process.env.OPEN_HALF);
  await page.fill("#open-form input[name=note]", "同案被告人17名，开庭前会见");
  await page.click("#open-form button[type=submit]");
  await page.locator("#opened li", { hasText: "待认领" }).waitFor();
  return { problems, affected };
}

// The coordinator approves a check-in made outside the station's range.
async function attendance(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-attendance");
  await page.waitForSelector("#att-date");
  await page.fill("#att-date", process.env.ATT_DAY);
  await page.dispatchEvent("#att-date", "change");
  const row = page.locator(`tr[data-lawyer="${process.env.ATT_LAWYER}"][data-state=needs_approval]`);
  await row.waitFor();
  const text = await row.textContent();
  check(text.includes("超出签到范围") && text.includes("待协调员确认"), `the row says why: ${text}`);
  await page.screenshot({ path: `${shots}/attendance-1280x800.png` });
  await row.locator("button.approve-checkin").click();
  await page.locator(`tr[data-lawyer="${process.env.ATT_LAWYER}"][data-state=attended]`).first().waitFor();
  return { problems };
}

// The lawyer offered a duty accepts it on a phone.
async function swaptake(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.waitForSelector("#my-swaps button.accept-swap");
  await page.locator("#swaps").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/swap-taker-390x844.png` });
  await page.click("#my-swaps button.accept-swap");
  await page.locator("#my-swaps li", { hasText: "待协调员批准" }).waitFor();
  return { problems };
}

// The coordinator approves the accepted swap.
async function swapapprove(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-leave");
  await page.waitForSelector("#swap-approvals button.approve-swap");
  await page.click("#swap-approvals button.approve-swap");
  await page.getByText("没有待批准的换班").waitFor();
  return { problems };
}

// A lawyer on a phone, the morning after a duty, fills in its ledger: two legal-aid
// applications, one forwarded 30 hours after it was received.
async function ledgerfill(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const day = process.env.LEDGER_DAY;
  const card = page.locator(`article.ledger-duty[data-duty="${process.env.LEDGER_DUTY}"]`);
  await card.waitFor();
  check((await card.locator(".state").textContent()) === "未填写", "not filled in yet");
  await card.locator("button.fill-ledger").click();
  const form = card.locator("form.ledger-form");
  await form.locator("input[name=consultations]").fill("4");
  await form.locator("input[name=plea_signings]").fill("1");
  await form.locator("button.add-application").click();
  await form.locator("button.add-application").click();
  const apps = form.locator("fieldset.application");
  await apps.nth(0).locator("[name=applicant]").fill("张三");
  await apps.nth(0).locator("[name=received_at]").fill(`${day}T11:00`);
  await apps.nth(0).locator("[name=forwarded_at]").fill(`${day}T15:00`);
  await apps.nth(1).locator("[name=applicant]").fill("李四");
  await apps.nth(1).locator("[name=received_at]").fill(`${day}T11:30`);
  await apps.nth(1).locator("[name=forwarded_at]").fill(`${process.env.LEDGER_NEXT}T17:30`);
  await form.locator("textarea[name=notes]").fill("会见在押人员3名");
  await apps.nth(1).scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/ledger-lawyer-390x844.png` });
  await form.locator("button[type=submit]").click();
  await card.locator(".state", { hasText: "已填写" }).waitFor();
  const said = await card.locator(".state").textContent();
  check(!(await form.count()), "the form closes once saved");
  return { problems, said };
}

// The coordinator sees the late forward in the month's ledger and rates the duty.
async function ledgerrate(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-ledger");
  await page.waitForSelector("#ledger-month");
  await page.fill("#ledger-month", process.env.LEDGER_MONTH);
  await page.dispatchEvent("#ledger-month", "change");
  const row = page.locator(`#ledger-table tr[data-lawyer="${process.env.LEDGER_LAWYER}"][data-overdue]`);
  await row.waitFor();
  const text = await row.textContent();
  check(text.includes("逾期未转交 1 件") && text.includes("李四") && !text.includes("张三"), `the row says which forward was late: ${text}`);
  check((await page.textContent("#ledger-overdue")).includes("1 件"), "the month's overdue forwards are counted");
  await page.screenshot({ path: `${shots}/ledger-coordinator-1280x800.png` });
  await row.locator("select.quality").selectOption("excellent");
  await page.getByText("评价已保存").waitFor();
  return { problems };
}

// The coordinator sets the centre's 企业微信 group robot and sends a test message.
async function channels(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-notices");
  const form = page.locator('#channel-list form[data-kind="wecom"]');
  await form.waitFor();
  check((await form.textContent()).includes("未设置"), "not set up yet");
  await form.locator('input[name="key"]').fill(process.env.ROBOT_KEY);
  await form.locator('button[type="submit"]').click();
  await page.getByText("已保存").first().waitFor();
  const saved = page.locator('#channel-list form[data-kind="wecom"]');
  await saved.getByText("已启用").waitFor();
  const key = saved.locator('input[name="key"]');
  check((await key.inputValue()) === "", "the key is never shown again");
  check((await key.getAttribute("placeholder")).includes("已设置"), "it says the key is set");
  await saved.locator("button.test-channel").click();
  await saved.getByText("测试消息已发送").waitFor();
  await page.locator("#channels").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/channels-coordinator-1280x800.png` });
  // Their own alerts: an address and phone of their own, e-mail and SMS, quiet hours.
  const mine = page.locator("#notify-prefs form");
  await mine.waitFor();
  check((await mine.locator('input[name="alert-email"]').isChecked()), "e-mail for alerts by default");
  check(!(await mine.locator('input[name="alert-sms"]').isChecked()), "no SMS for alerts by default");
  await mine.locator('input[name="email"]').fill("keeper@centre.test");
  await mine.locator('input[name="phone"]').fill("13900000088");
  await mine.locator('input[name="alert-sms"]').check();
  await mine.locator('input[name="quiet_start"]').fill("22:30");
  await mine.locator('input[name="quiet_end"]').fill("06:30");
  await mine.locator('button[type="submit"]').click();
  await page.getByText("通知设置已保存").waitFor();
  await page.locator("#notify-prefs").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/prefs-coordinator-1280x800.png` });
  return { problems };
}

// A lawyer on a phone: SMS for swaps, none for roster changes, quiet from 21:30.
async function prefs(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const form = page.locator("#notify-prefs form");
  await form.waitFor();
  const sms = (kind) => form.locator(`input[name="${kind}-sms"]`);
  check(await sms("roster").isChecked(), "SMS for roster changes by default");
  check(!(await sms("swap").isChecked()), "no SMS for swaps by default");
  await sms("roster").uncheck();
  await sms("swap").check();
  await form.locator('input[name="quiet_start"]').fill("21:30");
  await form.locator('input[name="quiet_end"]').fill("07:00");
  await page.locator("#notify-prefs").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/prefs-lawyer-390x844.png` });
  await form.locator('button[type="submit"]').click();
  await page.getByText("通知设置已保存").waitFor();
  // A message's link (`/#view=leave`) leads to its part of the lawyer's one page.
  await page.goto(base + "/#view=leave");
  await page.reload();
  await page.locator("#leave").waitFor();
  await page.waitForFunction(() => {
    const r = document.getElementById("leave").getBoundingClientRect();
    return r.top >= -1 && r.top < window.innerHeight / 2;
  });
  return { problems };
}

// The coordinator of a centre that picks among claimants sees two bids for a surge post
// and picks the second.
async function pickbid(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 1280, height: 800 } });
  await page.click("#view-leave");
  const item = page.locator(`#opened li[data-open="${process.env.OPEN_ID}"]`);
  await item.locator("button.show-bids").click();
  const bid = item.locator(`li[data-bid="${process.env.PICK_BID}"]`);
  await bid.waitFor();
  check((await item.locator("li[data-bid]").count()) === 2, "both bids are listed");
  check((await bid.textContent()).includes("待选定"), "the bid waits");
  await item.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/pick-coordinator-1280x800.png` });
  await bid.locator("button.pick-bid").click();
  await page.locator(`#opened li[data-open="${process.env.OPEN_ID}"]`, { hasText: "已满" }).waitFor();
  return { problems };
}

// A lawyer on a phone claims the open post.
async function claim(browser) {
  const { page, problems } = await open(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await page.waitForSelector("article.open-duty button.claim");
  await page.locator("#claim").scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${shots}/claim-lawyer-390x844.png` });
  await page.click("article.open-duty button.claim");
  await page.getByText("认领成功").first().waitFor();
  await page.getByText("暂无可认领的值班").waitFor();
  return { problems };
}

async function labels(browser) {
  const { page, problems } = await watched(browser, {});
  await page.goto(base + "/");
  await page.waitForSelector("#login-form");
  const tables = await page.evaluate(async () => {
    const m = await import(new URL("/js/labels.js", location.href).href);
    return Object.fromEntries(Object.entries(m).filter(([, v]) => v && typeof v === "object" && !Array.isArray(v)));
  });
  const missing = [];
  let checked = 0;
  for (const [table, codes] of Object.entries(JSON.parse(process.env.CODES))) {
    check(tables[table], `labels.js exports no table ${table} (it has ${Object.keys(tables).join(", ")})`);
    for (const [code, expected] of Object.entries(codes)) {
      checked += 1;
      const label = tables[table][code];
      if (typeof label !== "string" || !/\p{Script=Han}/u.test(label)) missing.push(`${table}.${code}: no Chinese label`);
      else if (expected !== null && label !== expected) missing.push(`${table}.${code}: "${label}", but the server says "${expected}"`);
    }
  }
  check(missing.length === 0, `api/web/js/labels.js:\n${missing.join("\n")}`);
  return { problems, checked, tables: Object.keys(tables) };
}

const browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-dev-shm-usage", "--lang=zh-CN"] });
try {
  const run = { coordinator, lawyer, finance, director, firmadmin, admin, panel, import: importer, labels, leaveask, leavedecide, claim, attendance, swaptake, swapapprove, ledgerfill, ledgerrate, pickbid, channels, prefs }[phase];
  check(run, `unknown phase ${phase}`);
  const result = await run(browser);
  check(result.problems.length === 0, `the page logged problems:\n${result.problems.join("\n")}`);
  console.log(JSON.stringify(result));
} catch (e) {
  console.error(e.stack || String(e));
  if (current) {
    // What the user would have seen, for the failure report.
    const text = await current.page.innerText("body").catch(() => "");
    console.error(`--- page text ---\n${text}\n--- page problems ---\n${current.problems.join("\n")}`);
    await current.page.screenshot({ path: `${shots}/failure-${phase}.png` }).catch(() => {});
  }
  process.exitCode = 1;
} finally {
  await browser.close();
}
