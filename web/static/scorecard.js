/* The scorecard page: a Print button, every collapsed section opened for printing, and "Keep in my
   history" (a same-origin POST: the server stores the read-only key as a cookie only that way). */
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

  var remember = document.getElementById("remember");
  if (remember && window.fetch) {
    remember.addEventListener("click", function () {
      var id = remember.getAttribute("data-session");
      fetch("/sessions/" + encodeURIComponent(id) + "/claim", {
        method: "POST", headers: { "Content-Type": "application/json" }, credentials: "same-origin",
        body: JSON.stringify({ key: remember.getAttribute("data-key") })
      }).then(function (response) {
        remember.textContent = response.ok ? "Kept in your history" : "Couldn't keep it — reload and try again";
        remember.disabled = response.ok;
      }).catch(function () { remember.textContent = "Couldn't keep it — reload and try again"; });
    });
  } else if (remember) {
    remember.hidden = true;
  }
})();
