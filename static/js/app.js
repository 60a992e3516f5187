// creditapp's page behaviour, loaded with `defer` on every page. The Content-Security-Policy allows
// scripts from our own origin only, so nothing here may be inline in a template, and htmx runs with
// allowEval off (no hx-on attributes, no js: values, no [filter] expressions on triggers).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Django's CsrfViewMiddleware checks the X-CSRFToken header on every unsafe request htmx sends.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") {
      event.detail.headers["X-CSRFToken"] = csrfToken();
    }
  });

  // htmx leaves the page as it was when a request fails; say so instead of failing silently.
  function flash(text) {
    var main = document.getElementById("main");
    if (!main) return;
    var list = main.querySelector(":scope > .messages");
    if (!list) {
      list = document.createElement("div");
      list.className = "messages";
      main.prepend(list);
    }
    var message = document.createElement("div");
    message.className = "message message-error";
    message.setAttribute("role", "alert");
    var icon = document.createElement("span");
    icon.className = "message-icon";
    icon.setAttribute("aria-hidden", "true");
    var body = document.createElement("p");
    body.textContent = text;
    message.append(icon, body);
    list.append(message);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    flash(
      status === 403
        ? "Your session has expired. Reload the page and try again."
        : "Something went wrong on our side (" + status + "). Please try again."
    );
  });
  document.addEventListener("htmx:sendError", function () {
    flash("We could not reach creditapp. Check your connection and try again.");
  });

  // A time zone picker still on the default (UTC) starts at the browser's own zone, when it is offered.
  function detectTimezone(root) {
    root.querySelectorAll("select[data-detect-timezone]").forEach(function (select) {
      if (select.value !== "UTC" || select.dataset.detected) return;
      select.dataset.detected = "1";
      var zone = "";
      try {
        zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (error) {
        return;
      }
      if (zone && select.querySelector('option[value="' + zone.replace(/"/g, "") + '"]')) select.value = zone;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { detectTimezone(document); });
  } else {
    detectTimezone(document);
  }

  // Close the phone menu when one of its in-page links (such as #security) is followed.
  document.addEventListener("click", function (event) {
    var nav = document.getElementById("site-nav");
    var link = event.target.closest && event.target.closest("#site-nav a");
    if (nav && link && typeof nav.hidePopover === "function" && nav.matches(":popover-open")) {
      nav.hidePopover();
    }
  });
})();
