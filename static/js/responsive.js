// Phone layout: label every table cell with its column heading (data-label) so the
// stylesheet can stack a table's rows as cards on narrow screens ("heading: value").
// Without this script the tables simply scroll inside their own box.
(function () {
  function label(table) {
    if (table.classList.contains("cards") || table.classList.contains("no-cards")) { return; }
    var head = table.tHead ? table.tHead.rows[table.tHead.rows.length - 1] : null;
    if (!head) {
      var first = table.rows[0];
      if (first && first.cells.length && first.querySelectorAll("th").length === first.cells.length) { head = first; }
    }
    if (!head) { return; }
    var names = [];
    for (var i = 0; i < head.cells.length; i++) {
      var cell = head.cells[i], span = cell.colSpan || 1, text = cell.textContent.replace(/\s+/g, " ").trim();
      for (var s = 0; s < span; s++) { names.push(text); }
    }
    for (var r = 0; r < table.rows.length; r++) {
      var row = table.rows[r];
      if (row === head) { row.classList.add("cards-head"); continue; }
      var col = 0;
      for (var c = 0; c < row.cells.length; c++) {
        var td = row.cells[c];
        if (!td.hasAttribute("data-label") && names[col]) { td.setAttribute("data-label", names[col]); }
        col += td.colSpan || 1;
      }
    }
    table.classList.add("cards");
  }
  function run() {
    var tables = document.querySelectorAll("main table");
    for (var i = 0; i < tables.length; i++) { label(tables[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", run); } else { run(); }
})();
