// The browser entry of api/static/upload.js: the factory's upload page. Choose a file, map its
// columns (a shipped template, or a mapping saved for this factory and source), preview the records
// and the rows that cannot be used, attach evidence, then sign and submit (upload_sign.js).
//
// The page passes its configuration in <script id="upload-config" type="application/json">
// {"factoryId", "signer", "chainId", "contract", "revisions": {"YYYY-MM": latest}} and its words
// in #upload-text (upload_text.js).

import { $, download, el, reveal, setProgress, setStatus } from './upload_dom.js';
import { applyRows, blankMapping, editorRows, unitOptions } from './upload_editor.js';
import { json } from './upload_http.js';
import { csvHeader, mappingToml, saveMapping, savedMappings } from './upload_mapping.js';
import { errorRows, preview, previewLine, recordRows, summaryRows } from './upload_preview.js';
import { wireSigning } from './upload_sign.js';
import { loadText, t } from './upload_text.js';
import { xlsxHeader } from './upload_xlsx.js';

const state = { config: null, file: null, header: [], mapping: null, templates: [], records: [] };

function readConfig() {
  const config = JSON.parse($('upload-config').textContent);
  return { ...config, revisions: config.revisions || {} };
}

function showMapping() {
  $('mapping-json').value = JSON.stringify(state.mapping, null, 2);
  $('mapping-rows').replaceChildren(...editorRows(state.header, state.mapping));
}

function setMapping(mapping, source) {
  state.mapping = { ...structuredClone(mapping), factory_id: state.config.factoryId };
  if (source) $('source-name').value = source;
  showMapping();
}

async function loadTemplates() {
  try {
    const answer = await json('/imports/templates');
    state.templates = Array.isArray(answer) ? answer : answer.templates || [];
  } catch {
    state.templates = []; // an older service: saved mappings and the editor still work
  }
  const saved = savedMappings(localStorage, state.config.factoryId);
  const options = [el('option', { value: '' }, t('choose_mapping'))];
  if (saved.length) {
    options.push(el('optgroup', { label: t('saved_mappings') },
      saved.map((s) => el('option', { value: `saved:${s.source}` }, s.source))));
  }
  options.push(el('optgroup', { label: t('shipped_templates') },
    state.templates.map((tpl) => el('option', { value: `template:${tpl.name}` }, tpl.title ? `${tpl.title} (${tpl.name})` : tpl.name))));
  options.push(el('option', { value: 'blank' }, t('blank_mapping')));
  $('template').replaceChildren(...options);
  state.saved = saved;
}

function chooseTemplate() {
  const value = $('template').value;
  if (value === 'blank') setMapping(blankMapping(state.config.factoryId), 'custom');
  else if (value.startsWith('saved:')) {
    const source = value.slice(6);
    setMapping(state.saved.find((s) => s.source === source).mapping, source);
  } else if (value.startsWith('template:')) {
    const tpl = state.templates.find((x) => x.name === value.slice(9));
    setMapping(tpl.mapping, tpl.name);
  }
  readHeader();
}

/** A batch.json (records already made, e.g. by `zcl batch import`): straight to evidence and signing. */
async function chooseBatchJson(file) {
  let batch;
  try {
    batch = JSON.parse(await file.text());
  } catch (error) {
    return setStatus('preview-status', t('mapping_not_json', { error: error.message }), 'fail');
  }
  reveal('step-preview');
  if (!batch || !Array.isArray(batch.records)) return setStatus('preview-status', t('not_a_batch'), 'fail');
  if (typeof batch.period === 'string' && !$('period').value) {
    $('period').value = batch.period;
    choosePeriod();
  }
  state.records = batch.records;
  $('preview-records').replaceChildren(...recordRows(batch.records));
  setStatus('preview-status', t('batch_loaded', { records: batch.records.length }), 'ok');
  reveal('step-evidence');
  reveal('step-sign');
  return state.onRecords(state.records, null);
}

async function chooseFile() {
  state.file = $('data-file').files[0] || null;
  if (state.file === null) return;
  if (/\.json$/i.test(state.file.name)) {
    await chooseBatchJson(state.file);
    return;
  }
  if (state.mapping === null) setMapping(blankMapping(state.config.factoryId), '');
  await readHeader();
  reveal('step-mapping');
}

/** The file's header row under the mapping's file settings (row, delimiter, sheet), into the editor. */
async function readHeader() {
  if (state.file === null) return;
  const spec = state.mapping.file || {};
  try {
    state.header = /\.xlsx$/i.test(state.file.name)
      ? await xlsxHeader(state.file, spec.header_row || 1, spec.sheet || null)
      : await csvHeader(state.file, spec.header_row || 1, spec.delimiter || 'auto');
  } catch {
    state.header = []; // the preview names what is wrong with the file
  }
  showMapping();
}

function editMappingJson() {
  try {
    state.mapping = JSON.parse($('mapping-json').value);
    setStatus('mapping-status', '');
    showMapping();
  } catch (error) {
    setStatus('mapping-status', t('mapping_not_json', { error: error.message }), 'fail');
  }
}

async function runPreview() {
  const period = $('period').value;
  if (!state.file || !period) {
    setStatus('preview-status', t('need_file_and_period'), 'fail');
    return;
  }
  setStatus('preview-status', t('previewing'), 'running');
  reveal('step-preview');
  let result;
  try {
    result = await preview({ file: state.file, mapping: state.mapping, factoryId: state.config.factoryId, period,
      onProgress: (f) => setProgress('preview-progress', f, '') });
  } catch (error) {
    setStatus('preview-status', error.message, 'fail');
    return;
  }
  state.records = result.errors.length ? [] : result.records;
  $('preview-errors').replaceChildren(...errorRows(result.errors));
  $('preview-errors-table').hidden = result.errors.length === 0;
  $('preview-records').replaceChildren(...recordRows(result.records));
  $('preview-summary').replaceChildren(...summaryRows(result.summary));
  $('preview-summary-table').hidden = $('preview-summary').children.length === 0;
  const clean = result.errors.length === 0 && result.records.length > 0;
  setStatus('preview-status', previewLine(result) + (clean ? '' : ` ${t('fix_rows')}`), clean ? 'ok' : 'fail');
  if (clean) {
    const source = $('source-name').value.trim() || state.mapping.name || 'custom';
    saveMapping(localStorage, state.config.factoryId, source, state.mapping);
    reveal('step-evidence');
    reveal('step-sign');
  }
  state.onRecords(state.records, state.file);
}

function choosePeriod() {
  const latest = state.config.revisions[$('period').value];
  $('revision').value = latest ? latest + 1 : 1;
  $('revision-note').textContent = latest ? t('revision_note', { latest }) : '';
}

function init() {
  loadText();
  state.config = readConfig();
  $('unit-list').replaceChildren(...unitOptions());
  $('period').addEventListener('change', choosePeriod);
  choosePeriod();
  $('data-file').addEventListener('change', chooseFile);
  $('template').addEventListener('change', chooseTemplate);
  $('mapping-rows').addEventListener('change', () => {
    state.mapping = applyRows([...$('mapping-rows').children], state.mapping);
    showMapping();
  });
  $('mapping-json').addEventListener('change', editMappingJson);
  $('save-mapping').addEventListener('click', () => {
    const source = $('source-name').value.trim();
    if (!source) return setStatus('mapping-status', t('need_source_name'), 'fail');
    saveMapping(localStorage, state.config.factoryId, source, state.mapping);
    setStatus('mapping-status', t('mapping_saved', { source }), 'ok');
    return loadTemplates();
  });
  const stem = () => $('source-name').value.trim() || 'mapping';
  $('download-toml').addEventListener('click', () => download(`${stem()}.toml`, mappingToml(state.mapping), 'application/toml'));
  $('download-json').addEventListener('click', () =>
    download(`${stem()}.json`, JSON.stringify(state.mapping, null, 2) + '\n', 'application/json'));
  $('preview-button').addEventListener('click', runPreview);
  state.onRecords = wireSigning(state.config);
  loadTemplates();
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}
