// The desk's visit form: show only the fields of the chosen action (progressive
// enhancement: without this script every field shows, and the server checks them all).
(function () {
  "use strict";
  var form = document.querySelector("form.visit-form");
  if (!form) { return; }
  var radios = form.querySelectorAll("input[name='action']");
  var groups = form.querySelectorAll("[data-actions]");

  function chosen() {
    for (var i = 0; i < radios.length; i++) {
      if (radios[i].checked) { return radios[i].value; }
    }
    return "";
  }

  function update() {
    var action = chosen();
    for (var i = 0; i < groups.length; i++) {
      var actions = groups[i].getAttribute("data-actions").split(" ");
      groups[i].hidden = actions.indexOf(action) < 0;
    }
  }

  for (var i = 0; i < radios.length; i++) {
    radios[i].addEventListener("change", update);
  }
  update();
})();
