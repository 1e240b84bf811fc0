/* Type-ahead pickers on the fields that declare them (vendored Tom Select, static/vendor/tom-select):
 *   <select data-lookup="organisations" data-lookup-kinds="university company">  one organisation, or several with
 *        `multiple`: typing filters the select's own options and asks /api/v1/lookup/organisations for more
 *   <textarea data-lookup="patents">  application numbers, one a line: typing asks /api/v1/lookup/patents (number
 *        prefix or title words); a number typed in full is kept as typed and the server checks it
 * Without JavaScript the fields stay a plain select and a text area. The lookup URLs and the two texts come from
 * this script tag's data attributes (macros.html, picker_assets).
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var config = {
    organisations: script.getAttribute('data-lookup-organisations'),
    patents: script.getAttribute('data-lookup-patents'),
    none: script.getAttribute('data-text-none'),
    add: script.getAttribute('data-text-add')
  };

  function loader(element) {
    var url = config[element.getAttribute('data-lookup')];
    var kinds = (element.getAttribute('data-lookup-kinds') || '').split(' ').filter(Boolean);
    return function (query, callback) {
      var picker = this, params = new URLSearchParams({q: query});
      kinds.forEach(function (kind) { params.append('kind', kind); });
      fetch(url + '?' + params.toString(), {credentials: 'same-origin', headers: {Accept: 'application/json'}})
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (items) {
          if (document.activeElement !== picker.control_input || picker.inputValue() !== query) {
            // the visitor moved on or picked already: a late answer must not reopen this menu (opening focuses it)
            picker.loading = Math.max(picker.loading - 1, 0);
            if (!picker.loading) {
              picker.wrapper.classList.remove(picker.settings.loadingClass);
            }
            return;
          }
          callback(items);
        }, function () { callback(); });
    };
  }

  function noResults() {
    return function (data, escape) { return '<div class="no-results">' + escape(config.none) + '</div>'; };
  }

  function organisationPicker(select) {
    return new TomSelect(select, {
      valueField: 'id', labelField: 'name', searchField: ['name', 'credit_code'], load: loader(select),
      loadThrottle: 250, maxOptions: 50, closeAfterSelect: !select.multiple,
      plugins: select.multiple ? ['remove_button'] : [],
      render: {
        option: function (data, escape) {
          return '<div>' + escape(data.name) +
            (data.kind_label ? ' <small class="text-body-secondary">' + escape(data.kind_label) + '</small>' : '') + '</div>';
        },
        no_results: noResults()
      }
    });
  }

  function patentPicker(area) {
    return new TomSelect(area, {
      delimiter: '\n', splitOn: /[\s,，;；、]+/, create: true, persist: false, createOnBlur: true,
      valueField: 'application_number', labelField: 'application_number', searchField: [],
      score: function () { return function () { return 1; }; },  // the server already matched number or title
      load: function (query, callback) {
        this.clearOptions();
        loader(area).call(this, query, callback);
      },
      loadThrottle: 250, plugins: ['remove_button'],
      onItemAdd: function () { this.setTextboxValue(''); },  // the typed prefix is not a number of its own
      render: {
        option: function (data, escape) {
          return '<div><span class="font-monospace">' + escape(data.application_number) + '</span> ' +
            escape(data.title || '') + (data.owner ? ' <small class="text-body-secondary">' + escape(data.owner.name) +
            '</small>' : '') + '</div>';
        },
        item: function (data, escape) {
          return '<div title="' + escape(data.title || '') + '">' + escape(data.application_number) + '</div>';
        },
        option_create: function (data, escape) {
          return '<div class="create">' + escape(config.add) + ' <strong>' + escape(data.input) + '</strong></div>';
        },
        no_results: noResults()
      }
    });
  }

  if (typeof TomSelect !== 'function') {
    return;
  }
  document.querySelectorAll('select[data-lookup="organisations"]').forEach(organisationPicker);
  document.querySelectorAll('textarea[data-lookup="patents"]').forEach(patentPicker);
}());
