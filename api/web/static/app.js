// The boards' page: GOV.UK Frontend's components, the charts (vega-embed), and following a running job.
// A module served by the service itself: the Content-Security-Policy allows no inline script and no eval.
import { initAll } from "/static/vendor/govuk-frontend/govuk-frontend.min.js";

document.body.classList.add("govuk-frontend-supported");
initAll();

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.appendChild(s);
  });
}

function specs() {
  const out = {};
  for (const id of ["charts", "frontier-charts", "compare-charts"]) {
    const block = document.getElementById(id);
    if (block) Object.assign(out, JSON.parse(block.textContent));
  }
  return out;
}

async function fetchSpec(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`could not load ${url}: ${response.status}`);
  return response.json();
}

let libraries = null;

function loadLibraries() {
  libraries ??= (async () => {
    await loadScript("/static/vendor/vega/vega.min.js");
    await loadScript("/static/vendor/vega/vega-lite.min.js");
    await loadScript("/static/vendor/vega/vega-embed.min.js");
    // vega's expression interpreter: no code generation, so no 'unsafe-eval' in the policy
    return (await import("/static/vendor/vega/vega-interpreter.mjs")).expressionInterpreter;
  })();
  return libraries;
}

async function draw(box, spec) {
  const expressionInterpreter = await loadLibraries();
  await window.vegaEmbed(box, spec, {
    renderer: "svg", actions: false, ast: true, expr: expressionInterpreter,
    defaultStyle: false, tooltip: { disableDefaultStyle: true },  // no injected <style>: the policy allows only this service's style sheets
  });
  box.dataset.drawn = "true";
  const svg = box.querySelector("svg");
  if (svg) svg.setAttribute("aria-hidden", "true");  // the box is the image, labelled; the table is its alternative
}

// The map: its boundaries are fetched from this service when it comes near the screen, not inlined in the page,
// so a re-solved answer's figures show without waiting for the shapes to be drawn.
async function drawFetched(box) {
  try {
    await draw(box, await fetchSpec(box.dataset.spec));
  } catch (err) {
    box.textContent = "The map could not be loaded; the table below gives its figures.";
    box.dataset.drawn = "failed";
    console.warn(err);
  }
}

function drawWhenNear(boxes) {
  if (!("IntersectionObserver" in window)) {
    boxes.forEach(drawFetched);
    return;
  }
  const watch = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      watch.unobserve(entry.target);
      drawFetched(entry.target);
    }
  }, { rootMargin: "300px" });
  boxes.forEach((box) => watch.observe(box));
}

async function drawCharts() {
  const boxes = [...document.querySelectorAll(".tp-chart[data-chart]")];
  const fetched = boxes.filter((box) => box.dataset.spec);
  drawWhenNear(fetched);
  const all = specs();
  const inline = boxes.filter((box) => !box.dataset.spec && all[box.dataset.chart]);
  for (const box of inline) await draw(box, all[box.dataset.chart]);
  if (inline.length) document.body.dataset.charts = "drawn";
}

// The answer's figures first: the chart libraries are loaded and run only after the page has painted once,
// so a re-solved answer shows without waiting for them (its tables say the same as the charts).
function afterFirstPaint() {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

afterFirstPaint().then(drawCharts).catch((err) => {
  document.body.dataset.charts = "failed";
  console.error(err);
});

const poll = document.querySelector("[data-poll]");
if (poll) setTimeout(() => window.location.assign(poll.getAttribute("href")), 2000);
