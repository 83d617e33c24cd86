// Live language check: as a person types in a checked text area, ask the server for findings
// (debounced) and redraw the list under the field. The form works the same without this file;
// the server checks every save.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function label(level) {
    return level === "block" ? "Must fix" : level === "warn" ? "Check" : "Note";
  }

  function tone(level) {
    return level === "block" ? "danger" : level === "warn" ? "warn" : "info";
  }

  function markedText(text, findings) {
    var spans = findings
      .filter(function (f) { return f.end > f.start; })
      .map(function (f) { return [f.start, f.end]; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var p = document.createElement("p");
    p.className = "marked-text";
    var pos = 0;
    spans.forEach(function (span) {
      var start = Math.max(span[0], pos);
      if (span[1] <= start) { return; }
      p.appendChild(document.createTextNode(text.slice(pos, start)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(start, span[1]);
      p.appendChild(mark);
      pos = span[1];
    });
    p.appendChild(document.createTextNode(text.slice(pos)));
    return p;
  }

  function render(box, text, findings, warnOnly) {
    box.textContent = "";
    if (!findings.length) { return; }
    if (findings.some(function (f) { return f.end > f.start; })) {
      box.appendChild(markedText(text, findings));
    }
    var list = document.createElement("ul");
    list.className = "finding-list";
    findings.forEach(function (f) {
      var level = warnOnly && f.severity === "block" ? "warn" : f.severity;
      var item = document.createElement("li");
      item.className = "finding finding-" + level;
      var badge = document.createElement("span");
      badge.className = "badge badge-" + tone(level);
      badge.textContent = label(level);
      item.appendChild(badge);
      item.appendChild(document.createTextNode(" "));
      if (f.end > f.start) {
        var mark = document.createElement("mark");
        mark.textContent = text.slice(f.start, f.end);
        item.appendChild(mark);
        item.appendChild(document.createTextNode(" "));
      }
      item.appendChild(document.createTextNode(f.message + " "));
      var suggestion = document.createElement("span");
      suggestion.className = "suggestion";
      suggestion.textContent = "Try: " + f.suggestion;
      item.appendChild(suggestion);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function watch(form) {
    var url = form.getAttribute("data-check-url");
    var requisition = parseInt(form.getAttribute("data-requisition"), 10);
    var tokenInput = form.querySelector("input[name='csrf_token']");
    var token = tokenInput ? tokenInput.value : "";
    form.querySelectorAll("textarea[data-check]").forEach(function (area) {
      var box = document.getElementById(area.id + "-findings");
      if (!box) { return; }
      var warnOnly = area.getAttribute("data-check") === "private";
      var timer = null;
      var controller = null;
      area.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          if (controller) { controller.abort(); }
          controller = new AbortController();
          var text = area.value;
          fetch(url, {
            method: "POST",
            credentials: "same-origin",
            signal: controller.signal,
            headers: { "Content-Type": "application/json", "X-CSRFToken": token },
            body: JSON.stringify({
              text: text,
              requisition_id: isNaN(requisition) ? null : requisition,
              private: warnOnly
            })
          })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (data) {
              if (data && area.value === text) {
                render(box, text, data.findings, warnOnly);
                box.setAttribute("data-checked", "live");
              }
            })
            .catch(function () { /* offline or aborted: the server checks on save */ });
        }, DELAY_MS);
      });
    });
  }

  document.querySelectorAll("form[data-check-url]").forEach(watch);
})();
