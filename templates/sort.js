(function () {
  var table = document.getElementById("heatmap");
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = table.querySelectorAll("th[data-key]");
  Array.prototype.forEach.call(heads, function (th) {
    th.tabIndex = 0;
    th.setAttribute("role", "button");
    th.title = "Sort by this column";
    function sort() {
      var key = th.getAttribute("data-key");
      var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir);
      var rows = Array.prototype.slice.call(body.querySelectorAll("tr.account"));
      rows.sort(function (a, b) {
        var x = a.getAttribute("data-" + key), y = b.getAttribute("data-" + key);
        var nx = parseFloat(x), ny = parseFloat(y);
        var c = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y) : nx - ny;
        return dir === "ascending" ? c : -c;
      });
      Array.prototype.forEach.call(body.querySelectorAll("tr.ou"), function (r) { r.hidden = true; });
      rows.forEach(function (r) { body.appendChild(r); });
      document.getElementById("grouping").hidden = false;
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
})();
