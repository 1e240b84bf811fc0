/* Behaviour the templates declare with data attributes: the Content-Security-Policy allows no inline script.
 *   <form data-confirm="…">          asks before submitting
 *   <button data-print>              prints the page
 *   <input data-check-all=".sel">    checks or clears every box matching the selector
 *   <div data-shown-when-checked="#box">  shown only while #box is checked; hiding it clears the boxes inside
 *   <select data-shows-fields>       in its form, only the parts whose data-shown-for lists the chosen value show
 *   <form data-busy="…">             a long action: once submitted, its submit buttons are disabled (no second
 *                                    submission) and the one pressed shows a spinner with the message
 *   <form data-post-on-load>         posted in the background once the page is shown (GET pages never write:
 *                                    a page that records being seen, a match "viewed", posts it), then hidden
 */
(function () {
  'use strict';
  document.addEventListener('submit', function (event) {
    var message = event.target.getAttribute && event.target.getAttribute('data-confirm');
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  document.addEventListener('submit', function (event) {
    var form = event.target, busy = form.getAttribute && form.getAttribute('data-busy');
    if (!busy || event.defaultPrevented) {
      return;
    }
    var pressed = event.submitter;
    // after this turn: a disabled button would drop its own name=value from what is being submitted
    window.setTimeout(function () {
      form.setAttribute('aria-busy', 'true');
      var buttons = form.querySelectorAll('button[type=submit], input[type=submit]');
      var outside = form.id ? document.querySelectorAll('button[type=submit][form="' + form.id + '"]') : [];
      [].concat(Array.prototype.slice.call(buttons), Array.prototype.slice.call(outside)).forEach(function (button) {
        button.disabled = true;
      });
      if (pressed) {
        var spinner = document.createElement('span');
        spinner.className = 'spinner-border spinner-border-sm me-1';
        spinner.setAttribute('aria-hidden', 'true');
        pressed.textContent = busy;
        pressed.prepend(spinner);
      }
    }, 0);
  });
  document.addEventListener('click', function (event) {
    if (event.target.closest && event.target.closest('[data-print]')) {
      window.print();
    }
  });
  document.querySelectorAll('form[data-post-on-load]').forEach(function (form) {
    fetch(form.action, {method: 'POST', body: new FormData(form), credentials: 'same-origin', redirect: 'manual'})
      .then(function () { form.hidden = true; });
  });
  document.addEventListener('change', function (event) {
    var selector = event.target.getAttribute && event.target.getAttribute('data-check-all');
    if (selector) {
      document.querySelectorAll(selector).forEach(function (box) { box.checked = event.target.checked; });
    }
    showWhenChecked();
    if (event.target.matches && event.target.matches('select[data-shows-fields]')) {
      showFields(event.target);
    }
  });
  function showFields(select) {
    select.form.querySelectorAll('[data-shown-for]').forEach(function (part) {
      part.hidden = part.getAttribute('data-shown-for').split(' ').indexOf(select.value) < 0;
    });
  }
  document.querySelectorAll('select[data-shows-fields]').forEach(showFields);
  function showWhenChecked() {
    document.querySelectorAll('[data-shown-when-checked]').forEach(function (part) {
      var box = document.querySelector(part.getAttribute('data-shown-when-checked'));
      part.hidden = !(box && box.checked);
      if (part.hidden) {
        part.querySelectorAll('input[type=checkbox]').forEach(function (inner) { inner.checked = false; });
      }
    });
  }
  showWhenChecked();
}());
