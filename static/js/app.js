/* Behaviour the templates declare with data attributes: the Content-Security-Policy allows no inline script.
 *   <form data-confirm="…">          asks before submitting
 *   <button data-print>              prints the page
 *   <input data-check-all=".sel">    checks or clears every box matching the selector
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
  });
}());
