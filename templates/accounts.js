(function () {
  // The account table of a large organization, rendered from the page's
  // data block 500 rows at a time: sorted by a click on a header, filtered
  // by what is typed, opened at an OU by its anchor (#ou-3). Every value
  // from the data is written as text (textContent, setAttribute), never as
  // markup.
  var PAGE = 500;
  var data = JSON.parse(document.getElementById("accounts-data").textContent);
  var table = document.getElementById("heatmap");
  var body = table.tBodies[0];
  var heads = table.querySelectorAll("th[data-key]");
  var filterBox = document.getElementById("filter");
  var range = document.getElementById("range");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var sortKey = null, ascending = true, filter = "", page = 0, items = [];

  function key(row, k) {
    if (k === "account") { return row[1] + " " + row[2]; }
    if (k === "score") { return row[5][2]; }
    if (k === "critical") { return row[6] * 1000 + row[7]; }
    return row[4][Number(k.slice(1)) - 1][2];
  }

  // What the table shows, in order: rows (numbers) and, in the OU order,
  // the OU headings (strings "ou:N") before their rows.
  function build() {
    var rows = [];
    for (var i = 0; i < data.rows.length; i++) {
      var r = data.rows[i];
      if (filter && (r[1] + " " + r[2] + " " + data.ous[r[0]][0]).toLowerCase().indexOf(filter) < 0) { continue; }
      rows.push(i);
    }
    if (sortKey !== null) {
      rows.sort(function (a, b) {
        var x = key(data.rows[a], sortKey), y = key(data.rows[b], sortKey);
        var c = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
        return (ascending ? c : -c) || a - b;
      });
      items = rows;
    } else {
      items = [];
      var ou = -1;
      rows.forEach(function (i) {
        if (data.rows[i][0] !== ou) { ou = data.rows[i][0]; items.push("ou:" + ou); }
        items.push(i);
      });
    }
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function cell(c) {
    var td = el("td", "cell " + c[0], c[1]);
    td.title = data.reasons[c[3]] + (c[5] ? " (" + c[5] + ")" : "");
    if (c[4]) { td.appendChild(document.createTextNode(" ")); td.appendChild(el("span", "delta", c[4])); }
    return td;
  }

  function rowElement(i) {
    var r = data.rows[i];
    var tr = el("tr", "account");
    var first = el("td");
    var link = el("a", null, r[1]);
    link.setAttribute("href", "accounts/" + r[2] + ".html");
    first.appendChild(link);
    first.appendChild(document.createTextNode(" "));
    first.appendChild(el("span", "tag mono", r[2]));
    if (r[3] !== "complete") { first.appendChild(document.createTextNode(" ")); first.appendChild(el("span", "tag", "(" + r[3] + ")")); }
    tr.appendChild(first);
    r[4].forEach(function (c) { tr.appendChild(cell(c)); });
    tr.appendChild(cell(r[5]));
    tr.appendChild(el("td", "num", r[6] + " / " + r[7]));
    return tr;
  }

  function ouElement(n) {
    var o = data.ous[n];
    var tr = el("tr", "ou");
    if (o[1]) { tr.id = o[1]; }
    var th = el("th", null, o[0] + " · " + o[2] + " account(s)" + (o[3] !== null ? " · mean " + o[3] : ""));
    th.colSpan = 8;
    tr.appendChild(th);
    return tr;
  }

  function render() {
    var pages = Math.max(1, Math.ceil(items.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    var rows = document.createDocumentFragment();
    items.slice(page * PAGE, (page + 1) * PAGE).forEach(function (item) {
      rows.appendChild(typeof item === "number" ? rowElement(item) : ouElement(Number(item.slice(3))));
    });
    while (body.firstChild) { body.removeChild(body.firstChild); }
    body.appendChild(rows);
    var shown = items.filter(function (x) { return typeof x === "number"; }).length;
    range.textContent = items.length === 0 ? "No account matches." :
      "Page " + (page + 1) + " of " + pages + " (" + shown + " of " + data.rows.length + " accounts" +
      (sortKey !== null ? ", sorted" : ", by OU") + ")";
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  // Open the page that holds an OU's heading, and scroll to it.
  function openAnchor() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!/^ou-\d+$/.test(id)) { return; }
    var n = -1;
    data.ous.forEach(function (o, i) { if (o[1] === id) { n = i; } });
    if (n < 0) { return; }
    sortKey = null; filter = ""; filterBox.value = "";
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
    build();
    page = Math.floor(items.indexOf("ou:" + n) / PAGE);
    render();
    var heading = document.getElementById(id);
    if (heading) { heading.scrollIntoView(); }
  }

  Array.prototype.forEach.call(heads, function (th) {
    th.tabIndex = 0;
    th.setAttribute("role", "button");
    th.title = "Sort by this column";
    function sort() {
      var k = th.getAttribute("data-key");
      ascending = sortKey === k ? !ascending : true;
      sortKey = k;
      Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      page = 0;
      build();
      render();
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
  filterBox.addEventListener("input", function () {
    filter = filterBox.value.trim().toLowerCase();
    page = 0;
    build();
    render();
  });
  prev.addEventListener("click", function () { page -= 1; render(); });
  next.addEventListener("click", function () { page += 1; render(); });
  window.addEventListener("hashchange", openAnchor);
  document.getElementById("controls").hidden = false;
  build();
  render();
  openAnchor();
})();
