// Canned replies: a button puts its text, placeholders already filled from the order, into
// the answer box for the agent to read and change before sending. (No inline script: CSP.)
(function () {
  "use strict";
  var box = document.querySelector("textarea.reply");
  if (!box) { return; }
  document.querySelectorAll(".canned-reply").forEach(function (button) {
    button.addEventListener("click", function () {
      box.value = button.getAttribute("data-text");
      box.focus();
    });
  });
})();
