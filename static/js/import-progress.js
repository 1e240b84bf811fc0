/* Polls a background import's progress and opens its report when it is finished. */
(function () {
  'use strict';
  var box = document.getElementById('import-progress');
  if (!box) { return; }
  var bar = box.querySelector('.progress-bar');
  var holder = box.querySelector('[role=progressbar]');
  function show(state) {
    bar.style.width = state.percent + '%';
    holder.setAttribute('aria-valuenow', state.percent);
    box.querySelector('[data-rows]').textContent = state.rows_read;
    box.querySelectorAll('[data-status-label]').forEach(function (label) {
      label.hidden = label.getAttribute('data-status-label') !== state.status;
    });
  }
  function poll() {
    fetch(box.getAttribute('data-progress-url'), { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        show(state);
        if (state.finished) { window.location.assign(box.getAttribute('data-report-url')); }
        else { window.setTimeout(poll, 1500); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
