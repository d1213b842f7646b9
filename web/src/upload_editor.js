// The mapping editor: one row per column of the file's header, saying what the column is (the
// time, a series of values with its source, kind and unit, or nothing), kept in step with the
// mapping's full JSON (the textarea) for the fields the table does not show.

import { el } from './upload_dom.js';
import { QUANTITY_KINDS, UNITS } from './spec.js';
import { t } from './upload_text.js';

const TIME_ROLES = { time: 'column', start: 'start_column', end: 'end_column' };

/** What `name` is in `mapping`: value, time, start, end or ignore. */
function roleOf(mapping, name) {
  if ((mapping.columns || []).some((c) => c.column === name)) return 'value';
  for (const [role, field] of Object.entries(TIME_ROLES)) if (mapping.time && mapping.time[field] === name) return role;
  return 'ignore';
}

function select(options, value, attrs) {
  return el('select', attrs, options.map(([v, label]) => el('option', { value: v, selected: v === value }, label)));
}

/** The editor's rows for `header` under `mapping`. */
export function editorRows(header, mapping) {
  return header.map((name, i) => {
    const role = roleOf(mapping, name);
    const spec = (mapping.columns || []).find((c) => c.column === name) || {};
    const roles = [['ignore', t('role_ignore')], ['time', t('role_time')], ['start', t('role_start')], ['end', t('role_end')],
      ['value', t('role_value')]];
    const kinds = [['', '—'], ...Object.keys(QUANTITY_KINDS).map((k) => [k, k])];
    return el('tr', { dataset: { column: name } },
      el('td', {}, el('code', {}, name)),
      el('td', {}, select(roles, role, { className: 'role', 'aria-label': t('role_of', { column: name }), id: `role-${i}` })),
      el('td', {}, el('input', { className: 'source-id', value: spec.source_id || '', disabled: role !== 'value', 'aria-label': t('source_of', { column: name }) })),
      el('td', {}, select(kinds, spec.kind || '', { className: 'kind', disabled: role !== 'value', 'aria-label': t('kind_of', { column: name }) })),
      el('td', {}, el('input', { className: 'unit', value: spec.unit || '', disabled: role !== 'value', list: 'unit-list',
        'aria-label': t('unit_of', { column: name }) })));
  });
}

/** The units datalist (canonical symbols; spellings such as 万kWh are accepted too). */
export const unitOptions = () => Object.keys(UNITS).map((u) => el('option', { value: u }));

/** `mapping` with what the editor's rows say: its columns and time columns; other fields kept. */
export function applyRows(rows, mapping) {
  const next = structuredClone(mapping);
  next.time = next.time || {};
  const named = new Set(rows.map((row) => row.dataset.column));
  const kept = (next.columns || []).filter((c) => !named.has(c.column));
  const values = [];
  for (const field of Object.values(TIME_ROLES)) if (named.has(next.time[field])) delete next.time[field];
  for (const row of rows) {
    const name = row.dataset.column;
    const role = row.querySelector('.role').value;
    if (role in TIME_ROLES) next.time[TIME_ROLES[role]] = name;
    if (role !== 'value') continue;
    const before = (mapping.columns || []).find((c) => c.column === name) || {};
    const spec = { ...before, column: name, source_id: row.querySelector('.source-id').value.trim(),
      kind: row.querySelector('.kind').value, unit: row.querySelector('.unit').value.trim() };
    values.push(spec);
  }
  next.columns = [...values, ...kept];
  return next;
}

/** A mapping to start from when no template fits: the time zone of the example factory, one value column. */
export function blankMapping(factoryId) {
  return { name: 'custom', title: '', factory_id: factoryId, file: { header_row: 1 },
    time: { timezone: 'Asia/Shanghai', format: 'iso' }, columns: [], evidence: { cite_file: true } };
}
