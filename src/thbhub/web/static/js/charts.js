// Render every Vega-Lite spec on the page: <div class="chart" data-spec="ID"> with the spec
// in <script type="application/json" id="ID">.  vegaEmbed comes from /assets/vega-embed.js.
(function () {
  function render() {
    document.querySelectorAll("div.chart[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.dataset.spec);
      if (!source || typeof vegaEmbed !== "function") return;
      // ast: Vega's expression interpreter instead of `new Function` (the CSP allows no
      // eval); no style sheets injected (the CSP allows no inline style: hub.css has them).
      var options = {
        actions: false,
        renderer: "svg",
        ast: true,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
      };
      vegaEmbed(el, JSON.parse(source.textContent), options)
        .then(function () { el.dataset.rendered = "true"; })
        .catch(function (err) { el.textContent = "The chart could not be drawn: " + err; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
