/* Behaviour the templates declare with data attributes: the Content-Security-Policy allows no inline script.
 *   <form data-confirm="…">          asks before submitting
 *   <button data-print>              prints the page
 *   <input data-check-all=".sel">    checks or clears every box matching the selector
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
  document.addEventListener('change', function (event) {
    var selector = event.target.getAttribute && event.target.getAttribute('data-check-all');
    if (selector) {
      document.querySelectorAll(selector).forEach(function (box) { box.checked = event.target.checked; });
    }
  });
}());
