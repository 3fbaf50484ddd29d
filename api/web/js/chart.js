// The fairness chart: one horizontal bar per row with a tick at its target, as SVG.

const SVG = "http://www.w3.org/2000/svg";

/** An SVG bar chart of `rows` ([{label, value, target}]), `width` pixels wide. */
export function bars(rows, width) {
  const max = Math.max(1, ...rows.map((r) => Math.max(r.value, r.target)));
  const lh = 18;
  const left = 110;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", rows.length * lh + 8);
  svg.setAttribute("role", "img");
  const scale = (x) => left + ((width - left - 50) * x) / max;
  const add = (tag, attrs, text) => {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    if (text !== undefined) el.textContent = text;
    svg.append(el);
  };
  rows.forEach((r, i) => {
    const y = i * lh + 4;
    add("text", { x: 0, y: y + 12 }, r.label);
    add("rect", { x: left, y: y + 2, width: Math.max(0, scale(r.value) - left), height: lh - 6, fill: r.value > r.target + 1 ? "#f0a35e" : "#2f80ed" });
    add("line", { x1: scale(r.target), x2: scale(r.target), y1: y, y2: y + lh - 2, stroke: "#1f2933", "stroke-width": 2 });
    add("text", { x: scale(Math.max(r.value, r.target)) + 4, y: y + 12 }, `${r.value} / ${r.target.toFixed(1)}`);
  });
  return svg;
}
