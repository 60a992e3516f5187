// Chart.js without inline scripts (the CSP forbids them). A page includes
// "includes/chart_scripts.html" in {% block scripts %} and marks up each chart as
//
//   {{ spending_chart|json_script:"spending-chart" }}
//   <canvas data-chart="spending-chart" data-chart-money="USD" role="img" aria-label="…"></canvas>
//
// where the JSON is a Chart.js config ({"type": "bar", "data": {...}, "options": {...}}).
// data-chart-money formats the value axis and tooltips from integer minor units (cents) in that
// currency. Datasets without colours get the site palette; charts follow light and dark mode and
// are drawn again in content that htmx swaps in.
(function () {
  "use strict";

  var scheme = window.matchMedia("(prefers-color-scheme: dark)");
  var reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function palette() {
    var colours = [];
    for (var i = 1; i <= 6; i++) colours.push(cssVar("--chart-" + i));
    return colours;
  }

  function moneyFormatter(currency, wholeUnits) {
    var options = { style: "currency", currency: currency };
    // Amounts arrive in minor units: the currency's own decimals say how many make one (¥ has none).
    var perUnit = Math.pow(10, new Intl.NumberFormat("en-US", options).resolvedOptions().maximumFractionDigits);
    if (wholeUnits) options.maximumFractionDigits = 0;
    var format = new Intl.NumberFormat(undefined, options);
    return function (minor) {
      return format.format(Number(minor) / perUnit);
    };
  }

  function applyTheme() {
    Chart.defaults.color = cssVar("--muted");
    Chart.defaults.borderColor = cssVar("--border");
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.plugins.tooltip.backgroundColor = cssVar("--tooltip-bg");
    Chart.defaults.plugins.tooltip.titleColor = cssVar("--tooltip-ink");
    Chart.defaults.plugins.tooltip.bodyColor = cssVar("--tooltip-ink");
    Chart.defaults.maintainAspectRatio = false;
    Chart.defaults.elements.bar.borderRadius = 4;
    Chart.defaults.animation = reducedMotion.matches ? false : Chart.defaults.animation;
  }

  function isCircular(config) {
    return config.type === "doughnut" || config.type === "pie" || config.type === "polarArea";
  }

  function colourise(config) {
    var colours = palette();
    var perPoint = isCircular(config);
    (config.data.datasets || []).forEach(function (dataset, index) {
      var colour = colours[index % colours.length];
      if (perPoint) {
        if (!dataset.backgroundColor) {
          dataset.backgroundColor = dataset.data.map(function (_, i) {
            return colours[i % colours.length];
          });
        }
        if (!dataset.borderColor) dataset.borderColor = cssVar("--surface");
      } else {
        if (!dataset.borderColor) dataset.borderColor = colour;
        // A line's filled area is a light wash of its colour (#rrggbb → #rrggbbaa).
        var wash = config.type === "line" && /^#[0-9a-f]{6}$/i.test(colour) ? colour + "24" : colour;
        if (!dataset.backgroundColor) dataset.backgroundColor = wash;
      }
    });
  }

  function withMoney(config, currency) {
    var money = moneyFormatter(currency, false);
    var axisMoney = moneyFormatter(currency, true);
    var options = (config.options = config.options || {});
    var valueAxis = options.indexAxis === "y" ? "x" : "y";
    // Doughnuts and pies have no axes: giving them a scale would draw one across the chart.
    if (!isCircular(config)) {
      options.scales = options.scales || {};
      options.scales[valueAxis] = options.scales[valueAxis] || {};
      options.scales[valueAxis].ticks = Object.assign({ callback: axisMoney }, options.scales[valueAxis].ticks);
    }
    options.plugins = options.plugins || {};
    options.plugins.tooltip = options.plugins.tooltip || {};
    options.plugins.tooltip.callbacks = Object.assign(
      {
        label: function (item) {
          var value = isCircular(config) ? item.raw : options.indexAxis === "y" ? item.parsed.x : item.parsed.y;
          if (value === undefined || value === null) value = item.raw;
          var name = isCircular(config) ? item.label : item.dataset.label;
          return (name ? name + ": " : "") + money(value);
        },
      },
      options.plugins.tooltip.callbacks
    );
  }

  function render(root) {
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (Chart.getChart(canvas)) return;
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) {
        console.warn("charts.js: no JSON element #" + canvas.dataset.chart);
        return;
      }
      var config = JSON.parse(source.textContent);
      colourise(config);
      if (canvas.dataset.chartMoney) withMoney(config, canvas.dataset.chartMoney);
      new Chart(canvas, config);
    });
  }

  function redrawAll() {
    applyTheme();
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var chart = Chart.getChart(canvas);
      if (chart) chart.destroy();
    });
    render(document);
  }

  applyTheme();
  if (window.htmx) {
    window.htmx.onLoad(render);
  } else {
    render(document);
  }
  scheme.addEventListener("change", redrawAll);
})();
