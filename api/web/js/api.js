// The public JSON API (/api/v1). The browser signs in with a session cookie (HttpOnly: no
// script reads it); every change also sends the session's CSRF token, kept in this
// origin's localStorage. Errors arrive as problem+json and become `ApiError`s.

const CSRF_KEY = "zhiban-csrf";

/** Keeps the CSRF token of a new session. */
export function keepCsrf(token) {
  localStorage.setItem(CSRF_KEY, token);
}

/** Whether this browser signed in (and may still have a session). */
export function signedIn() {
  return !!localStorage.getItem(CSRF_KEY);
}

/** Forgets it (signed out). */
export function forgetCsrf() {
  localStorage.removeItem(CSRF_KEY);
}

/** A refusal: its message is the problem's field errors, detail or title. */
export class ApiError extends Error {
  constructor(status, problem) {
    const fields = (problem.errors || []).map((e) => `${e.field}：${e.message}`).join("；");
    super(fields || problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

/** Calls the API; the answer's JSON, or throws an `ApiError`. */
export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { ...headers } };
  if (method !== "GET") init.headers["X-CSRF-Token"] = localStorage.getItem(CSRF_KEY) || "";
  if (body instanceof Blob) {
    // A file as it is (a workbook to import), with its own type.
    init.headers["Content-Type"] = body.type || "application/octet-stream";
    init.body = body;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!res.ok) throw new ApiError(res.status, data || {});
  return data;
}

/** Downloads a file of the API under `filename`. */
export async function download(path, filename) {
  const res = await fetch(path, { credentials: "same-origin" });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const blob = await res.blob();
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

/** The rows of a list answer: a page (`items`) or a plain array. */
export function items(x) {
  return Array.isArray(x) ? x : x.items || [];
}

/** Lawyers' and firms' names by id. */
export async function names() {
  const [lawyers, firms] = await Promise.all([api("GET", "/api/v1/lawyers?limit=500"), api("GET", "/api/v1/firms")]);
  return {
    names: Object.fromEntries(items(lawyers).map((l) => [l.id, l.name])),
    firms: Object.fromEntries(items(firms).map((f) => [f.id, f.name])),
  };
}
