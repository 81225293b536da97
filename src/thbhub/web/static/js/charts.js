// Render every Vega-Lite spec on the page: <div class="chart" data-spec="ID"> with the spec
// in <script type="application/json" id="ID">.  vegaEmbed comes from /assets/vega-embed.js.
(function () {
  function render() {
    document.querySelectorAll("div.chart[data-spec]").forEach(function (el) {
      var source = document.getElementById(el.dataset.spec);
      if (!source || typeof vegaEmbed !== "function") return;
      vegaEmbed(el, JSON.parse(source.textContent), { actions: false, renderer: "svg" })
        .then(function () { el.dataset.rendered = "true"; })
        .catch(function (err) { el.textContent = "The chart could not be drawn: " + err; });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", render);
  else render();
})();
