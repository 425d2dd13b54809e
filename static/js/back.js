// "Go back" links: use the browser history when there is some, else follow the link.
// (The Content-Security-Policy allows no inline scripts or javascript: links.)
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-history-back]");
  if (link && window.history.length > 1) {
    event.preventDefault();
    window.history.back();
  }
});
