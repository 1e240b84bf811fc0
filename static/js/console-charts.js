/* Agency console charts: each <canvas data-chart="id"> reads its spec from <script type="application/json" id="id">
   ({type, labels, datasets, links, stacked, counts}: counts puts whole numbers on the value axis).
   A click on a bar opens the drill-down list of the items behind it (the same link as in the table). */
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: spec.type,
      data: {labels: spec.labels, datasets: spec.datasets},
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {legend: {position: "bottom"}},
        // counts step by whole numbers (precision 0), never 0.1
        scales: {x: {stacked: !!spec.stacked},
                 y: {stacked: !!spec.stacked, beginAtZero: true, ticks: spec.counts ? {precision: 0} : {}}},
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length || !spec.links) { return; }
          var link = spec.links[elements[0].datasetIndex][elements[0].index];
          if (link) { window.location.href = link; }
        }
      }
    });
  });
}());
