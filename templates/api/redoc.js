"use strict";
// Redoc's start-up (served by the Redoc view with ?script). The styles Redoc writes at run time carry
// the nonce of the page's Content-Security-Policy, read from this script's own element.
(function () {
  const nonce = document.currentScript ? document.currentScript.nonce : undefined;
  const font = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif';
  const mono = 'ui-monospace, "SFMono-Regular", "Cascadia Mono", "Roboto Mono", Menlo, Consolas, monospace';
  Redoc.init(
    "{{ schema_url|escapejs }}",
    {
      nonce: nonce,
      scrollYOffset: ".explorer-bar",
      expandResponses: "200,201,202",
      pathInMiddlePanel: true,
      nativeScrollbars: true,
      sortTagsAlphabetically: true,
      theme: {
        colors: { primary: { main: "#2b59e8" } },
        typography: {
          fontFamily: font,
          headings: { fontFamily: font, fontWeight: "700" },
          code: { fontFamily: mono },
        },
        sidebar: { backgroundColor: "#f5f7fb" },
        rightPanel: { backgroundColor: "#0f172a" },
      },
    },
    document.getElementById("redoc-container")
  );
})();
