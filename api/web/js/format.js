// Dates, times and amounts as the page shows them. Dates are local `YYYY-MM-DD` strings.
import { WEEKDAY } from "./labels.js";

/** `d` (a Date) as a local `YYYY-MM-DD`. */
export function iso(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The current month as `YYYY-MM`. */
export function thisMonth() {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
}

export function parseDate(s) {
  const [y, m, d] = s.split("-").map(Number);
  return new Date(y, m - 1, d);
}

export function addDays(s, n) {
  const d = parseDate(s);
  d.setDate(d.getDate() + n);
  return iso(d);
}

export function nextMonday() {
  const d = new Date();
  d.setDate(d.getDate() + ((8 - d.getDay()) % 7 || 7));
  return iso(d);
}

/** A cost change with its sign, two decimals. */
export function signed(x) {
  const r = Math.abs(x) < 0.005 ? 0 : x;
  return `${r >= 0 ? "+" : ""}${r.toFixed(2)}`;
}

/** `HH:MM` of a time of day. */
export function hm(t) {
  return String(t).slice(0, 5);
}

/** `5月4日 周一`. */
export function dayLabel(s) {
  const d = parseDate(s);
  return `${d.getMonth() + 1}月${d.getDate()}日 周${WEEKDAY[d.getDay()]}`;
}

/** Fen as yuan with two decimals. */
export function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const a = Math.abs(fen);
  return `${sign}${Math.floor(a / 100)}.${String(a % 100).padStart(2, "0")}`;
}
