// Completes a bank connection: posts Link's public token back to us as a CSRF-protected form.
(function () {
  var form = document.getElementById("link-callback-form");
  if (!form) return;
  if (form.hasAttribute("data-autosubmit")) { form.submit(); return; }
  var token = form.getAttribute("data-link-token");
  if (!token || !window.Plaid) return;
  var handler = window.Plaid.create({
    token: token,
    onSuccess: function (publicToken, metadata) {
      form.elements.public_token.value = publicToken;
      form.elements.metadata.value = JSON.stringify(metadata);
      form.submit();
    },
    onExit: function () { window.location.href = form.action + "?error=user_exit"; },
  });
  document.getElementById("open-link").addEventListener("click", function () { handler.open(); });
  handler.open();
})();
