// The preview: the file and its mapping sent to POST /imports/preview, which reads them as
// `zcl batch import` does and answers the records it would make and every row it cannot use
// (file, row, column and its letter, field, message). Nothing is stored by a preview.

import { el } from './upload_dom.js';
import { detailOf, send } from './upload_http.js';
import { UploadError, t } from './upload_text.js';

/** `{ records, errors, summary, headers? }` for `file` under `mapping`; an UploadError names a bad mapping field. */
export async function preview({ file, mapping, factoryId, period, onProgress = () => {} }) {
  const form = new FormData();
  form.append('file', file, file.name);
  form.append('mapping', JSON.stringify(mapping));
  form.append('factory_id', factoryId);
  form.append('period', period);
  const answer = await send('/imports/preview', form, { onProgress });
  if (answer.status !== 200) throw new UploadError(detailOf(answer.body, answer.status), 'mapping');
  return answer.body;
}

const cell = (text, className = null) => el('td', { className }, text === null || text === undefined ? '—' : text);

/** The rows the import could not use, each naming file, row and column, for the table #preview-errors. */
export function errorRows(errors) {
  return errors.map((e) =>
    el(
      'tr',
      { className: 'row-error', dataset: { row: e.row ?? '', column: e.column_letter ?? '', code: e.code ?? '' } },
      cell(e.file),
      cell(e.row, 'num'),
      cell(e.column_letter ? `${e.column_letter} (${e.column ?? ''})` : e.column),
      cell(e.field),
      cell(e.message),
    ),
  );
}

/** The records of the preview, one row each (the first `limit`, then a line saying how many more). */
export function recordRows(records, limit = 10) {
  const rows = records.slice(0, limit).map((r) =>
    el('tr', { className: 'record' }, cell(r.source_id), cell(r.kind), cell(r.value, 'num'), cell(r.unit), cell(r.interval_start),
      cell(r.interval_end), cell((r.evidence || []).map((e) => e.file_name).join(', '))),
  );
  if (records.length > limit) {
    rows.push(el('tr', { className: 'more' }, el('td', { colspan: 7, className: 'muted' }, t('more_records', { n: records.length - limit }))));
  }
  return rows;
}

/** One row per source: how many records and their total, as the preview sums them (exact strings). */
export function summaryRows(summary) {
  return ((summary && summary.by_source) || []).map((s) =>
    el('tr', {}, cell(s.source), cell(s.kind), cell(s.count, 'num'), cell(s.total, 'num'), cell(s.unit)),
  );
}

/** The line under the preview: records made, rows read, rows refused. */
export function previewLine(result) {
  const rows = result.summary ? result.summary.rows : '?';
  const line = t('preview_line', { records: result.records.length, rows, errors: result.errors.length });
  return result.errors_not_listed ? `${line} ${t('not_listed', { n: result.errors_not_listed })}` : line;
}
