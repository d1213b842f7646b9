// Evidence files attached in the page: hashed here with SHA-256, cited by the records as
// `zcl batch sign` cites a `{"path": FILE}` entry ({sha256, file_name, media_type}), and uploaded
// after the batch is stored, as `zcl batch submit --evidence-dir` does (the service keeps only files
// a stored batch cites).

import { sha256 } from 'ethers';

import { LIMITS, MEDIA_TYPE } from './spec.js';
import { json, send, detailOf } from './upload_http.js';
import { UploadError, t } from './upload_text.js';

// ledger.evidence.guess_media_type's common answers, for files the browser gives no type
const BY_EXTENSION = {
  pdf: 'application/pdf', csv: 'text/csv', json: 'application/json', txt: 'text/plain', png: 'image/png',
  jpg: 'image/jpeg', jpeg: 'image/jpeg', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xls: 'application/vnd.ms-excel', zip: 'application/zip',
};

/** The media type of a file: the browser's when it is a valid one, else by extension, else octet-stream. */
export function mediaTypeOf(file) {
  const extension = (file.name.split('.').pop() || '').toLowerCase();
  if (file.name.includes('.') && BY_EXTENSION[extension]) return BY_EXTENSION[extension];
  return file.type && MEDIA_TYPE.test(file.type) ? file.type : 'application/octet-stream';
}

/** The file's SHA-256 (64 lower-case hex digits), by WebCrypto where the page may use it. */
export async function sha256Hex(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (globalThis.crypto && globalThis.crypto.subtle) {
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }
  return sha256(bytes).slice(2);
}

/** The evidence entry of an attached file (`{sha256, file_name, media_type}`). */
export async function evidenceRef(file) {
  return { sha256: await sha256Hex(file), file_name: file.name, media_type: mediaTypeOf(file) };
}

/** `records` with `ref` cited by those of `sourceId` (every record when null); a citation is not repeated. */
export function cite(records, ref, sourceId = null) {
  return records.map((record, i) => {
    if (sourceId !== null && record.source_id !== sourceId) return record;
    const evidence = Array.isArray(record.evidence) ? record.evidence : [];
    if (evidence.some((e) => e.sha256 === ref.sha256)) return record;
    if (evidence.length >= LIMITS.MAX_EVIDENCE) {
      throw new UploadError(t('too_much_evidence', { index: i, max: LIMITS.MAX_EVIDENCE }), `records[${i}].evidence`);
    }
    return { ...record, evidence: [...evidence, ref] };
  });
}

/**
 * Upload the attached files the stored batch cites and the service lacks, one after another,
 * with `onProgress(done, total, fraction)`. Returns `{ uploaded, missing }` (file names).
 */
export async function uploadCited(attached, cited, onProgress) {
  const wanted = attached.filter((a) => cited.has(a.ref.sha256));
  const present = wanted.length ? await json('/evidence/status', { hashes: wanted.map((a) => a.ref.sha256) }) : {};
  const todo = wanted.filter((a) => !present[a.ref.sha256]);
  const uploaded = [];
  for (const [i, item] of todo.entries()) {
    const form = new FormData();
    form.append('file', item.file, item.file.name);
    const answer = await send('/evidence', form, { onProgress: (f) => onProgress(i, todo.length, f) });
    if (answer.status !== 200 && answer.status !== 201) {
      throw new UploadError(`${item.file.name}: ${detailOf(answer.body, answer.status)}`);
    }
    uploaded.push(item.file.name);
    onProgress(i + 1, todo.length, 1);
  }
  const missing = [...cited.entries()].filter(([sha]) => !present[sha] && !todo.some((a) => a.ref.sha256 === sha));
  return { uploaded, missing: missing.map(([, ref]) => ref.file_name) };
}

/** The evidence a signed batch cites, by sha256, first citation first (as `zcl batch submit` reads it). */
export function citedEvidence(records) {
  const cited = new Map();
  for (const record of records) for (const ref of record.evidence || []) if (!cited.has(ref.sha256)) cited.set(ref.sha256, ref);
  return cited;
}
