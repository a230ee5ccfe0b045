// ganlab's 2D canvas (anywidget): draws what Python sends as arrays, and lets the mouse
// draw points. Python owns the numbers; this file only paints them and reports strokes.
// Traits: bounds [x0, x1, y0, y1]; heat (uint8, heat_res x heat_res, row 0 at y0);
// real, fake, arrows (float32 x,y pairs; arrows are displacements in data units);
// grid (float32 polylines of grid_points points each); drawing (flat [x, y, ...], synced
// both ways); tool ("none" | "add" | "erase"); title and legend (text); chart {x, series: [{name, color, y}], ymax,
// title}; strip (uint8, strip_shape [rows, columns]) with strip_title.

function floats(view) {
  if (!view || !view.byteLength) return new Float32Array(0);
  return new Float32Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}
function bytes(view) {
  if (!view || !view.byteLength) return new Uint8Array(0);
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
// The course's palette (ganlab/style.py, plots2d.toy_view), so the canvas and the static figure
// look the same: D's heatmap is matplotlib's BrBG drawn at 45% over white, 0 = sure it is fake
// (brown), 128 = undecided (white), 255 = sure it is real (teal); generated points orange,
// real points black with a white edge, G's push purple, the noise grid grey.
const BRBG = [[178, 162, 142], [209, 182, 149], [234, 213, 179], [249, 241, 221], [250, 250, 250],
              [221, 242, 239], [180, 220, 215], [146, 191, 187], [140, 167, 162]];
const FAKE = "#e66100", PUSH = "#5e3c99", REAL = "#000";
function ramp(stops, v) {
  const t = (v / 255) * (stops.length - 1), i = Math.min(Math.floor(t), stops.length - 2), f = t - i;
  return stops[i].map((c, k) => c + (stops[i + 1][k] - c) * f);
}
function diverging(v) { return ramp(BRBG, v); }
const MAGMA = [[0, 0, 4], [81, 18, 124], [183, 55, 121], [252, 137, 97], [252, 253, 191]];
function magma(v) { return ramp(MAGMA, v); }
function paintImage(ctx, data, cols, rows, lut, x, y, w, h, flip) {
  const off = document.createElement("canvas");
  off.width = cols; off.height = rows;
  const octx = off.getContext("2d"), img = octx.createImageData(cols, rows);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    const src = (flip ? rows - 1 - r : r) * cols + c, rgb = lut(data[src]), o = 4 * (r * cols + c);
    img.data[o] = rgb[0]; img.data[o + 1] = rgb[1]; img.data[o + 2] = rgb[2]; img.data[o + 3] = 255;
  }
  octx.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = flip;
  ctx.drawImage(off, x, y, w, h);
}

function render({ model, el }) {
  const size = model.get("size");
  const root = document.createElement("div");
  root.className = "ganlab-canvas2d";
  const main = document.createElement("canvas");
  main.width = size; main.height = size; main.className = "ganlab-main";
  const side = document.createElement("canvas");
  side.width = 320; side.height = size; side.className = "ganlab-side";
  root.append(main, side);
  el.append(root);
  let drawing = (model.get("drawing") || []).slice();

  const toPx = (x, y) => {
    const [x0, x1, y0, y1] = model.get("bounds");
    return [(x - x0) / (x1 - x0) * size, size - (y - y0) / (y1 - y0) * size];
  };
  const toData = (px, py) => {
    const [x0, x1, y0, y1] = model.get("bounds");
    return [x0 + px / size * (x1 - x0), y0 + (size - py) / size * (y1 - y0)];
  };
  function dots(ctx, xy, color, r, edge) {
    ctx.fillStyle = color;
    if (edge) { ctx.strokeStyle = edge; ctx.lineWidth = 0.6; }
    for (let i = 0; i + 1 < xy.length; i += 2) {
      const [px, py] = toPx(xy[i], xy[i + 1]);
      ctx.beginPath(); ctx.arc(px, py, r, 0, 2 * Math.PI); ctx.fill();
      if (edge) ctx.stroke();
    }
  }
  function paintMain() {
    const ctx = main.getContext("2d");
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, size, size);
    const res = model.get("heat_res"), heat = bytes(model.get("heat"));
    if (res && heat.length === res * res) paintImage(ctx, heat, res, res, diverging, 0, 0, size, size, true);
    const grid = floats(model.get("grid")), gp = model.get("grid_points");
    ctx.strokeStyle = "rgba(115,115,115,0.6)"; ctx.lineWidth = 0.7;   // grey, as toy_view's
    for (let s = 0; gp && s + 2 * gp <= grid.length; s += 2 * gp) {
      ctx.beginPath();
      for (let k = 0; k < gp; k++) {
        const [px, py] = toPx(grid[s + 2 * k], grid[s + 2 * k + 1]);
        k ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
      }
      ctx.stroke();
    }
    dots(ctx, floats(model.get("real")), REAL, 1.8, "#fff");
    if (model.get("tool") !== "none") dots(ctx, drawing, "#111", 2.2);
    const fake = floats(model.get("fake")), arrows = floats(model.get("arrows"));
    ctx.strokeStyle = PUSH; ctx.lineWidth = 1.2;
    for (let i = 0; i + 1 < arrows.length && i + 1 < fake.length; i += 2) {
      const [ax, ay] = toPx(fake[i], fake[i + 1]), [bx, by] = toPx(fake[i] + arrows[i], fake[i + 1] + arrows[i + 1]);
      ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
    }
    dots(ctx, fake, FAKE, 2.0);
    ctx.fillStyle = "#000"; ctx.font = "12px sans-serif"; ctx.fillText(model.get("title"), 6, 15);
    const legend = model.get("legend");
    if (legend) {
      ctx.font = "10px sans-serif";
      const w = ctx.measureText(legend).width + 8;
      ctx.fillStyle = "rgba(255,255,255,0.8)"; ctx.fillRect(2, size - 16, w, 14);
      ctx.fillStyle = "#000"; ctx.fillText(legend, 6, size - 5);
    }
    ctx.strokeStyle = "#888"; ctx.strokeRect(0.5, 0.5, size - 1, size - 1);
  }
  function paintSide() {
    const ctx = side.getContext("2d"), W = side.width, H = side.height;
    ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, W, H);
    const chart = model.get("chart") || {}, series = chart.series || [], xs = chart.x || [];
    const shape = model.get("strip_shape") || [0, 0], strip = bytes(model.get("strip"));
    const chartH = shape[0] && shape[1] ? H / 2 - 10 : H - 10, L = 34, T = 22, B = chartH;
    ctx.fillStyle = "#000"; ctx.font = "12px sans-serif"; ctx.fillText(chart.title || "", L, 14);
    ctx.strokeStyle = "#888"; ctx.strokeRect(L + 0.5, T + 0.5, W - L - 8, B - T);
    const ymax = chart.ymax || 1, xmax = Math.max(1, xs.length ? xs[xs.length - 1] : 1);
    ctx.font = "10px sans-serif"; ctx.fillText(String(ymax), 2, T + 8); ctx.fillText("0", 2, B);
    ctx.fillText(String(xmax), W - 40, B + 11);
    series.forEach((s, n) => {
      ctx.strokeStyle = s.color; ctx.lineWidth = 1.6; ctx.beginPath();
      s.y.forEach((y, i) => {
        const px = L + (xs[i] / xmax) * (W - L - 8), py = B - Math.max(0, Math.min(1, y / ymax)) * (B - T);
        i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
      });
      ctx.stroke();
      ctx.fillStyle = s.color; ctx.fillText(s.name, L + 6, T + 12 + 12 * n);
    });
    if (shape[0] && shape[1] && strip.length === shape[0] * shape[1]) {
      const top = H / 2 + 16;
      ctx.fillStyle = "#000"; ctx.font = "12px sans-serif"; ctx.fillText(model.get("strip_title"), L, top - 4);
      paintImage(ctx, strip, shape[1], shape[0], magma, L, top, W - L - 8, H - top - 14, false);
      ctx.font = "10px sans-serif"; ctx.fillText("mode", 2, top + 10); ctx.fillText("time →", W - 50, H - 2);
    }
  }
  function paint() { paintMain(); paintSide(); }

  // the mouse: "add" lays points along the stroke, "erase" removes those under the brush
  let down = false, last = null;
  const spacing = 5;
  const position = (e) => { const r = main.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  function addAt(px, py) { const [x, y] = toData(px, py); drawing.push(x, y); }
  function eraseAt(px, py) {
    const brush = model.get("brush_px"), kept = [];
    for (let i = 0; i + 1 < drawing.length; i += 2) {
      const [qx, qy] = toPx(drawing[i], drawing[i + 1]);
      if ((qx - px) ** 2 + (qy - py) ** 2 > brush * brush) kept.push(drawing[i], drawing[i + 1]);
    }
    drawing = kept;
  }
  function apply(px, py) {
    const tool = model.get("tool");
    if (tool === "erase") { eraseAt(px, py); return; }
    if (tool !== "add") return;
    if (!last) { addAt(px, py); last = [px, py]; return; }
    const d = Math.hypot(px - last[0], py - last[1]);
    for (let t = spacing; t <= d; t += spacing) {
      const f = t / d; addAt(last[0] + (px - last[0]) * f, last[1] + (py - last[1]) * f);
    }
    if (d >= spacing) last = [px, py];
  }
  main.addEventListener("pointerdown", (e) => {
    if (model.get("tool") === "none") return;
    down = true; last = null; main.setPointerCapture(e.pointerId);
    apply(...position(e)); paintMain();
  });
  main.addEventListener("pointermove", (e) => { if (down) { apply(...position(e)); paintMain(); } });
  const finish = () => {
    if (!down) return;
    down = false; last = null;
    model.set("drawing", drawing.slice()); model.save_changes();
  };
  main.addEventListener("pointerup", finish);
  main.addEventListener("pointercancel", finish);

  model.on("change:drawing", () => { drawing = (model.get("drawing") || []).slice(); paintMain(); });
  for (const name of ["heat", "real", "fake", "arrows", "grid", "title", "legend", "tool", "bounds"])
    model.on("change:" + name, paintMain);
  for (const name of ["chart", "strip"]) model.on("change:" + name, paintSide);
  paint();
}
export default { render };
