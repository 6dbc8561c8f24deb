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

async function drawCharts() {
  const boxes = document.querySelectorAll(".tp-chart[data-chart]");
  if (!boxes.length) return;
  const all = specs();
  await loadScript("/static/vendor/vega/vega.min.js");
  await loadScript("/static/vendor/vega/vega-lite.min.js");
  await loadScript("/static/vendor/vega/vega-embed.min.js");
  // vega's expression interpreter: no code generation, so no 'unsafe-eval' in the policy
  const { expressionInterpreter } = await import("/static/vendor/vega/vega-interpreter.mjs");
  for (const box of boxes) {
    const spec = all[box.dataset.chart];
    if (!spec) continue;
    await window.vegaEmbed(box, spec, {
      renderer: "svg", actions: false, ast: true, expr: expressionInterpreter,
      defaultStyle: false, tooltip: { disableDefaultStyle: true },  // no injected <style>: the policy allows only this service's style sheets
    });
    box.dataset.drawn = "true";
    const svg = box.querySelector("svg");
    if (svg) svg.setAttribute("aria-hidden", "true");  // the box is the image, labelled; the table is its alternative
  }
  document.body.dataset.charts = "drawn";
}

drawCharts().catch((err) => {
  document.body.dataset.charts = "failed";
  console.error(err);
});

const poll = document.querySelector("[data-poll]");
if (poll) setTimeout(() => window.location.assign(poll.getAttribute("href")), 2000);
