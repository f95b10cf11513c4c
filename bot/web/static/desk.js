// Live length check while a post is edited: asks the desk (which counts as the platform does)
// and shows each part's length; the Save button still checks on the server.
"use strict";
(function () {
  var form = document.querySelector("form[data-check]");
  if (!form || !window.fetch) { return; }
  var timer = null;
  function check() {
    var body = new URLSearchParams(new FormData(form));
    body.delete("do");
    fetch(form.getAttribute("data-check"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (data) {
      if (!data) { return; }
      data.parts.forEach(function (p, i) {
        var out = document.getElementById("count-" + (i + 1));
        if (!out) { return; }
        var unit = out.textContent.replace(/^[^a-z]*/i, "").split(" — ")[0];
        out.textContent = p.length + " / " + p.limit + " " + unit + (p.over ? " — over by " + p.over : "");
        out.classList.toggle("over", p.over > 0);
      });
    });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
}());
