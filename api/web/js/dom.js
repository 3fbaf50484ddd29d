// DOM helpers: build elements, replace children, say what happened.
import { ApiError } from "./api.js";

export const $ = (sel, root = document) => root.querySelector(sel);

/** The page's main area, which each view fills. */
export const main = () => $("#main");

/** An element with attributes (`class`, `on…` listeners, flags) and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Replaces `el`'s children, leaving out null and false. Nothing happens when `el` is gone
 *  (a view still loading when the user switched to another: its late answers find no
 *  place, and must not break the page). */
export function fill(el, ...children) {
  if (!el) return;
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

let toastTimer = null;

/** Shows `msg` for three seconds at the bottom of the page. */
export function toast(msg) {
  const t = $("#toast");
  t.textContent = msg;
  t.classList.add("show");
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => t.classList.remove("show"), 3000);
}

/** Says what went wrong in `where` (if given) and in a toast. */
export function fail(e, where) {
  const msg = e instanceof ApiError ? e.message : "网络错误，请重试";
  if (where) where.textContent = msg;
  toast(msg);
}

/** Views switched from the header (`views`: {key: [label, open]}); opens `first`. */
export function tabs(views, first) {
  const nav = $("#views");
  const show = (key) => {
    for (const b of nav.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.view === key));
    return views[key][1]();
  };
  fill(nav, ...Object.entries(views).map(([key, [label]]) =>
    h("button", { "data-view": key, id: `view-${key}`, onclick: () => show(key) }, label)));
  nav.hidden = false;
  // A link from a notification (`#view=attendance`) opens its tab.
  const wanted = new URLSearchParams(location.hash.slice(1)).get("view");
  return show(wanted && views[wanted] ? wanted : first);
}
