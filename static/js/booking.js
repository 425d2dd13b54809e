/* Frontdesk customer pages: small progressive enhancements (the pages work without them).
 *  - forms marked data-once are sent once: the button is disabled and says it is working;
 *  - the payment hold counts down (data-countdown="<seconds left>", as the server rendered it);
 *  - the special-requests box counts its characters;
 *  - the booking form's total follows the number of rooms.
 */
(function () {
  "use strict";

  function submitButtons(form) {
    return form.querySelectorAll("button[type=submit], button:not([type])");
  }

  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "1") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "1");
      submitButtons(form).forEach(function (button) {
        button.disabled = true;
        if (button.dataset.busyLabel) {
          button.dataset.label = button.textContent;
          button.textContent = button.dataset.busyLabel;
        }
      });
    });
  });

  // Coming back with the Back button: the same form (same idempotency key) may be sent again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      submitButtons(form).forEach(function (button) {
        button.disabled = false;
        if (button.dataset.label) { button.textContent = button.dataset.label; }
      });
    });
  });

  function clockText(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  var hold = document.querySelector("[data-countdown]");
  if (hold) {
    var deadline = Date.now() + parseInt(hold.getAttribute("data-countdown"), 10) * 1000;
    var clock = hold.querySelector("[data-countdown-clock]");
    var tick = function () {
      var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      if (clock) { clock.textContent = clockText(left); }
      if (left > 0) { return; }
      window.clearInterval(timer);
      hold.hidden = true;
      document.querySelectorAll("[data-countdown-hide]").forEach(function (el) { el.hidden = true; });
      document.querySelectorAll("[data-countdown-expired]").forEach(function (el) { el.hidden = false; });
    };
    var timer = window.setInterval(tick, 1000);
    tick();
  }

  document.querySelectorAll("[data-counter]").forEach(function (box) {
    var out = document.getElementById(box.getAttribute("data-counter"));
    if (!out) { return; }
    var max = parseInt(out.getAttribute("data-max"), 10);
    var initial = out.textContent;
    var update = function () {
      out.textContent = box.value.length ? box.value.length.toLocaleString() + " / " + max.toLocaleString() : initial;
    };
    box.addEventListener("input", update);
    update();
  });

  var total = document.querySelector("[data-total-for]");
  var rooms = document.querySelector("select[data-rooms]");
  if (total && rooms) {
    var price = parseInt(total.getAttribute("data-room-price"), 10);
    var shown = parseInt(rooms.value, 10) || 1;
    var template = total.textContent;
    rooms.addEventListener("change", function () {
      var n = parseInt(rooms.value, 10) || 1;
      // Re-format the server's money text: only the digits change, the currency sign stays.
      var one = price * n, before = price * shown;
      total.textContent = template.replace(before.toLocaleString("en-US"), one.toLocaleString("en-US"));
    });
  }
})();
