// The desk's warning before saving, shown as documents are picked or typed (issue 24).
// Progressive enhancement: without this script the server warns after Save, as it always
// did, and it judges every save whatever this script shows. The facts and every word come
// from the page (#desk-documents, monitor/views/desk_words.py, in the reader's language);
// this script decides only set membership: which picked or typed documents are lawful,
// obtained by the office itself, or anything else.
(function () {
  "use strict";
  var form = document.querySelector("form.visit-form");
  var source = document.getElementById("desk-documents");
  if (!form || !source) { return; }
  var data = JSON.parse(source.textContent);
  var box = document.getElementById("warnings");
  var list = box.querySelector("ul");
  var reasonField = document.getElementById("override");
  var reason = form.elements.override_reason;
  var other = form.elements.other_documents;
  var group = document.getElementById("documents-group");
  var button = form.querySelector("button[type=submit]");
  var word = new RegExp(data.word_pattern, "g");
  var pending = null;

  function has(object, key) { return Object.prototype.hasOwnProperty.call(object, key); }

  // A typed name as the server compares it (services.front_desk.name_key).
  function key(text) {
    return (text.toLowerCase().replace(/ё/g, "е").match(word) || []).join(" ");
  }

  function escape(text) {  // as markupsafe escapes
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&#34;").replace(/'/g, "&#39;");
  }

  function action() {
    var chosen = form.querySelector("input[name=action]:checked");
    return chosen ? chosen.value : "";
  }

  // The documents the server would judge: the picked codes, then each typed line (or part
  // between ";"), read as its document's code when its name is known; each once.
  function documents() {
    if (group.getAttribute("data-actions").split(" ").indexOf(action()) < 0) { return []; }
    var found = [];
    function add(token) { if (token && found.indexOf(token) < 0) { found.push(token); } }
    var picked = form.querySelectorAll("input[name=documents]:checked");
    for (var i = 0; i < picked.length; i++) { add(picked[i].value); }
    var lines = other ? other.value.split(/\r\n|\r|\n/) : [];
    for (var j = 0; j < lines.length; j++) {
      var parts = lines[j].split(";");
      for (var k = 0; k < parts.length; k++) {
        var entry = parts[k].trim();
        if (entry) { add(has(data.names, key(entry)) ? data.names[key(entry)] : entry); }
      }
    }
    return found;
  }

  function otherLine(rule, token) {
    var name = has(data.catalog_names, token) ? data.catalog_names[token] : escape(token);
    return data.other[rule].split(data.placeholder).join(name);
  }

  // The lines of the rules this script decides, in the server's order.
  function lines() {
    var tokens = documents();
    var offending = tokens.filter(function (token) { return data.lawful.indexOf(token) < 0; });
    var found = [];
    offending.forEach(function (token) {
      if (!has(data.lines, token)) { found.push(["EXTRA_DOCUMENT", otherLine("EXTRA_DOCUMENT", token)]); }
    });
    offending.forEach(function (token) {
      if (has(data.lines, token)) { found.push(["STATE_SYSTEM_DOCUMENT", data.lines[token].STATE_SYSTEM_DOCUMENT]); }
    });
    if (action() === "return") {
      if (!tokens.length) { found.push(["UNFOUNDED_RETURN", data.empty_return]); }
      offending.forEach(function (token) {
        found.push(["UNFOUNDED_RETURN", has(data.lines, token) ? data.lines[token].UNFOUNDED_RETURN
          : otherLine("UNFOUNDED_RETURN", token)]);
      });
    }
    return found;
  }

  function signature(items) {
    return items.map(function (item) { return item.getAttribute("data-rule") + "\u0000" + item.innerHTML; });
  }

  // Show the warning as it now stands; ``focus``: a document was just picked, so a new
  // warning takes the clerk to the reason (typing is never interrupted).
  function update(focus) {
    pending = null;
    var before = signature(Array.prototype.slice.call(list.children));
    var items = Array.prototype.filter.call(list.children, function (item) {
      return data.rules.indexOf(item.getAttribute("data-rule")) < 0;  // the server's own: kept
    });
    lines().forEach(function (found) {
      var item = document.createElement("li");
      item.setAttribute("data-rule", found[0]);
      item.innerHTML = found[1];
      items.push(item);
    });
    var after = signature(items);
    if (after.join("\u0001") !== before.join("\u0001")) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (item) { list.appendChild(item); });
    }
    var warned = items.length > 0;
    box.hidden = !warned;
    reasonField.hidden = !warned;
    reason.disabled = !warned;  // a reason for no warning is not sent
    button.textContent = warned ? button.getAttribute("data-warned") : button.getAttribute("data-plain");
    var added = after.some(function (line) { return before.indexOf(line) < 0; });
    if (focus && warned && added) { reason.focus(); }
  }

  function later() {
    if (pending !== null) { clearTimeout(pending); }
    pending = setTimeout(function () { update(false); }, 400);
  }

  function now() {
    if (pending !== null) { clearTimeout(pending); update(false); }
  }

  reason.disabled = reasonField.hidden;

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.name === "documents") { update(true); }
    else if (target.name === "action" || target === other) { update(false); }
  });
  if (other) {
    other.addEventListener("input", later);
    // Leaving the field shows the warning first, so that Tab reaches the reason next.
    other.addEventListener("keydown", function (event) { if (event.key === "Tab") { now(); } });
  }

  // Enter saves where a clerk expects it: in a reason (Shift+Enter starts a new line), on a
  // picked document or an action. Typed documents stay one per line.
  form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey
        || event.isComposing) { return; }
    var target = event.target;
    var saves = target.hasAttribute("data-enter-saves")
      || (target.tagName === "INPUT" && (target.type === "checkbox" || target.type === "radio"));
    if (!saves) { return; }
    event.preventDefault();
    now();
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  });
})();
