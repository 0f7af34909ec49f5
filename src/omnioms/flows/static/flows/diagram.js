// The flow's stages and actions drawn with Cytoscape.js (flows/flow_edit.html). The elements
// come from the page's JSON block, so no script is inline (Content-Security-Policy).
(function () {
  "use strict";
  var node = document.getElementById("flow-diagram");
  var source = document.getElementById("flow-diagram-data");
  if (!node || !source || !window.cytoscape) { return; }
  var data = JSON.parse(source.textContent);
  var cy = window.cytoscape({
    container: node,
    elements: data.nodes.concat(data.edges),
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: {
        "label": "data(label)", "text-wrap": "wrap", "text-valign": "center", "text-halign": "center",
        "shape": "round-rectangle", "width": 130, "height": 46, "font-size": 11,
        "background-color": "#e7f0fa", "border-width": 1, "border-color": "#4a6b8a" } },
      { selector: "node[?initial]", style: { "border-width": 3, "border-color": "#1f77b4" } },
      { selector: "node[?final]", style: { "background-color": "#eceff1", "border-style": "double", "border-width": 4 } },
      { selector: "edge", style: {
        "label": "data(label)", "font-size": 9, "curve-style": "bezier", "width": 1.5,
        "target-arrow-shape": "triangle", "line-color": "#7a8a99", "target-arrow-color": "#7a8a99",
        "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-rotation": "autorotate" } },
      { selector: "edge[kind = 'partial']", style: { "line-style": "dashed" } }
    ],
    layout: { name: "breadthfirst", directed: true, spacingFactor: 1.1,
              roots: data.nodes.filter(function (n) { return n.data.initial; }).map(function (n) { return "#" + n.data.id; }) }
  });
  node.setAttribute("data-drawn", String(cy.nodes().length));
})();
