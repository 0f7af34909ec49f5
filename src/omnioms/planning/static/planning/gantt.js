// The Gantt chart of a plan (planning/gantt.html) with vis-timeline: machines as rows,
// operations as bars, days off shaded, now marked; a drag asks the server's move check.
(function () {
  "use strict";
  var node = document.getElementById("gantt");
  var source = document.getElementById("gantt-config");
  if (!node || !source || !window.vis || !window.vis.Timeline) { return; }
  var config = JSON.parse(source.textContent);
  var L = config.labels;
  var result = document.getElementById("move-result");
  var list = document.getElementById("knock-on");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");
  var items = new window.vis.DataSet();
  var groups = new window.vis.DataSet();
  var timeline = null;

  function say(text, refused) {
    result.textContent = text;
    result.className = refused ? "refused" : "";
  }

  function load(then) {
    fetch(config.data, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        groups.clear(); groups.add(data.groups);
        items.clear(); items.add(data.items);
        if (then) { then(); }
      });
  }

  function onMove(item, callback) {
    var group = groups.get(item.group);
    say(L.checking, false);
    fetch(config.move, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify({
        operation: item.id,
        start: new Date(item.start).toISOString(),
        work_center: group.work_center,
        machine: group.machine
      })
    }).then(function (r) { return r.json(); }).then(function (answer) {
      list.textContent = "";
      if (!answer.accepted) {
        callback(null);
        say(L.refused + " " + (answer.reason || answer.error || ""), true);
        return;
      }
      callback(item);
      say(answer.knock_on.length ? L.accepted : L.nothing, false);
      answer.knock_on.forEach(function (k) {
        var li = document.createElement("li");
        li.textContent = k.operation + ": " + k.start_before.slice(5, 16).replace("T", " ") +
          " → " + k.start_after.slice(5, 16).replace("T", " ") +
          (k.machine_before !== k.machine_after ? " (" + k.machine_before + " → " + k.machine_after + ")" : "");
        list.appendChild(li);
      });
      var li = document.createElement("li");
      li.textContent = L.late + " " + answer.late;
      list.appendChild(li);
      load();
    }).catch(function () { callback(null); say(L.refused, true); });
  }

  load(function () {
    var start = new Date(config.start);
    timeline = new window.vis.Timeline(node, items, groups, {
      stack: false,
      showCurrentTime: true,  // now marked (not a custom time: that one can be dragged, and a
                              // press on a bar under it moved the marker instead of the bar)
      orientation: "top",
      zoomMin: 60 * 60 * 1000,
      zoomMax: 200 * 24 * 3600 * 1000,
      start: new Date(start.getTime() - 12 * 3600 * 1000),
      end: new Date(start.getTime() + 7 * 24 * 3600 * 1000),
      itemsAlwaysDraggable: { item: true, range: true },
      editable: config.editable ? { updateTime: true, updateGroup: true, add: false, remove: false } : false,
      snap: null,
      onMove: onMove,
      tooltip: { followMouse: true },
      groupOrder: "order"
    });
    document.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var window_ = timeline.getWindow();
        var minutes = parseInt(button.getAttribute("data-zoom"), 10);
        timeline.setWindow(window_.start, new Date(window_.start.getTime() + minutes * 60000));
      });
    });
    document.querySelectorAll("[data-today]").forEach(function (button) {
      button.addEventListener("click", function () { timeline.moveTo(new Date(config.now)); });
    });
    timeline.on("doubleClick", function (props) {
      var item = props.item && items.get(props.item);
      if (item && item.order) { window.location.search = "?order=" + encodeURIComponent(item.order); }
    });
    node.visTimeline = timeline;  // for the browser tests and the console
    node.setAttribute("data-ready", "1");
  });
})();
