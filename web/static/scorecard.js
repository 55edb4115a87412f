/* The scorecard page: a Print button, and every collapsed section opened for printing. */
(function () {
  "use strict";
  var opened = [];
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (d) {
      d.open = true;
      opened.push(d);
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  var button = document.getElementById("print");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
