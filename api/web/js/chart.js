// The fairness chart: one horizontal bar per row with a tick at its target, as SVG.

const SVG = "http://www.w3.org/2000/svg";

/** An SVG bar chart of `rows` ([{label, value, target}]), `width` pixels wide; `name`
 *  is its accessible name (the numbers are also written beside each bar). */
export function bars(rows, width, name) {
  const max = Math.max(1, ...rows.map((r) => Math.max(r.value, r.target ?? 0)));
  const lh = 24;
  const left = 150;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", rows.length * lh + 8);
  svg.setAttribute("role", "img");
  if (name) svg.setAttribute("aria-label", name);
  const scale = (x) => left + ((width - left - 50) * x) / max;
  const add = (tag, attrs, text) => {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    svg.append(el);
  };
  rows.forEach((r, i) => {
    const y = i * lh + 4;
    const target = r.target ?? null;
    add("text", { x: 0, y: y + 16 }, r.label);
    add("rect", { x: left, y: y + 3, width: Math.max(0, scale(r.value) - left), height: lh - 8, fill: target !== null && r.value > target + 1 ? "#f0a35e" : "#2f80ed" });
    if (target !== null) add("line", { x1: scale(target), x2: scale(target), y1: y, y2: y + lh - 2, stroke: "#1f2933", "stroke-width": 2 });
    add("text", { x: scale(Math.max(r.value, target ?? 0)) + 4, y: y + 16 }, target === null ? `${r.value}` : `${r.value} / ${target.toFixed(1)}`);
  });
  return svg;
}
