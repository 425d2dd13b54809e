// Support ticket page: choosing a ready reply fills the reply box with its text in the guest's language.
(function () {
  var select = document.querySelector("[data-macro-select]");
  var data = document.getElementById("macro-texts");
  if (!select || !data) { return; }
  var texts = JSON.parse(data.textContent);
  var box = document.querySelector("form.reply-form textarea[name=body]");
  select.addEventListener("change", function () {
    if (texts[select.value] && box) { box.value = texts[select.value]; }
  });
})();
