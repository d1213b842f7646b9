// The certificate lookup form (/certificates): its field labels follow the chosen registry, and the
// serial or the block-and-range fields show as chosen (CCER has no serial). A file, not inline
// script: every page's CSP forbids inline script (api/security.py). The labels come from the page
// as data (#lookup-labels), already in the page's language. Without this script the form still
// works: the server renders the fields for the registry it was given.
(function () {
  var data = document.getElementById('lookup-labels');
  var form = document.getElementById('lookup-form');
  if (!data || !form) return;
  var labels = JSON.parse(data.textContent);
  var $ = function (id) { return document.getElementById(id); };
  var registry = $('registry');
  var bySerial = $('by-serial');
  var byBlock = $('by-block');

  function show(by) {
    var serial = by === 'serial';
    $('serial-fields').hidden = !serial;
    $('block-fields').hidden = serial;
    $('serial').disabled = !serial;
    ['block', 'first', 'last'].forEach(function (id) { $(id).disabled = serial; });
  }

  function relabel() {
    var current = labels[registry.value];
    if (!current) return;
    $('serial-label').textContent = current.serial;
    $('serial').placeholder = current.serial_example;
    $('block-label').textContent = current.block;
    $('block').placeholder = current.block_example;
    $('first-label').textContent = current.first;
    $('last-label').textContent = current.last;
    bySerial.disabled = !current.has_serial;
    if (!current.has_serial) byBlock.checked = true;
    show(bySerial.checked ? 'serial' : 'block');
  }

  registry.addEventListener('change', relabel);
  bySerial.addEventListener('change', function () { show('serial'); });
  byBlock.addEventListener('change', function () { show('block'); });
  relabel();
})();
