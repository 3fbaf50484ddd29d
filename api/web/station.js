// The station display: shows the station's check-in code, which changes every minute, as a
// QR code and as six large digits. Signed in once with the station's device token (kept in
// this browser's local storage), it refreshes itself.
import { HALF } from "/js/labels.js";

const KEY = "zhiban-station-token";
const $ = (id) => document.getElementById(id);
let timer = null;

async function refresh() {
  const token = localStorage.getItem(KEY);
  if (!token) {
    $("signin").hidden = false;
    return;
  }
  try {
    const res = await fetch("/api/v1/station-display", { headers: { Authorization: `Bearer ${token}` } });
    const body = await res.json();
    if (!res.ok) {
      $("error").textContent = `无法获取签到码：${body.detail || res.status}`;
      if (res.status === 401 || res.status === 403) {
        localStorage.removeItem(KEY);
        $("signin").hidden = false;
      }
      schedule(15);
      return;
    }
    $("error").textContent = "";
    $("signin").hidden = true;
    $("station").textContent = body.station_name;
    $("when").textContent = `${body.date} ${HALF[body.half_day]}`;
    $("code").textContent = body.code;
    // The SVG is the server's own rendering of the QR code.
    $("qr").innerHTML = body.svg;
    $("left").textContent = `${body.refresh_in_seconds} 秒后更换。`;
    schedule(Math.min(body.refresh_in_seconds + 1, 61));
  } catch (e) {
    $("error").textContent = "网络连接中断，正在重试…";
    schedule(5);
  }
}

function schedule(seconds) {
  clearTimeout(timer);
  timer = setTimeout(refresh, seconds * 1000);
}

$("signin").addEventListener("submit", (ev) => {
  ev.preventDefault();
  localStorage.setItem(KEY, $("token").value.trim());
  refresh();
});
refresh();
