// The last steps of the upload page: evidence attached and cited, the keystore decrypted and the
// batch signed in this page, then the batch submitted (streamed as NDJSON, with progress), its
// evidence uploaded, and each record's proof linked.
//
// The key material stays here: the keystore's text and the password are read from their inputs
// when "Sign" is pressed, the inputs are cleared, and the wallet lives only until the signature is
// made. No request carries either, and nothing is written to storage.

import { NDJSON, buildBatch, ndjsonLines, signBatch } from './upload_batch.js';
import { $, download, el, reveal, setProgress, setStatus } from './upload_dom.js';
import { cite, citedEvidence, evidenceRef, uploadCited } from './upload_evidence.js';
import { detailOf, json, send } from './upload_http.js';
import { decryptKeystore } from './upload_keystore.js';
import { t } from './upload_text.js';

const ALL = '*';

/** Wire the evidence, signing and submission steps; returns the callback a new preview calls. */
export function wireSigning(config) {
  const state = { records: [], attached: [], dataFile: null, signed: null };

  function renderEvidence() {
    const sources = [...new Set(state.records.map((r) => r.source_id))];
    $('evidence-list').replaceChildren(...state.attached.filter((a) => a.file !== state.dataFile).map((a, i) =>
      el('tr', { dataset: { sha256: a.ref.sha256 } }, el('td', {}, a.file.name), el('td', { className: 'num' }, a.file.size),
        el('td', {}, el('code', {}, a.ref.sha256.slice(0, 16) + '…')), el('td', {}, a.ref.media_type),
        el('td', {}, el('select', { className: 'cited-by', 'aria-label': t('cited_by_of', { file: a.file.name }), dataset: { index: i } },
          el('option', { value: ALL, selected: a.citedBy === ALL }, t('all_records')),
          sources.map((s) => el('option', { value: s, selected: a.citedBy === s }, s)))))));
  }

  async function attach() {
    setStatus('evidence-status', t('hashing'), 'running');
    for (const file of $('evidence-files').files) {
      const ref = await evidenceRef(file);
      if (!state.attached.some((a) => a.ref.sha256 === ref.sha256)) state.attached.push({ file, ref, citedBy: ALL });
    }
    renderEvidence();
    setStatus('evidence-status', t('attached', { n: state.attached.length - (state.dataFile ? 1 : 0) }), 'ok');
  }

  function citedRecords() {
    let records = state.records;
    for (const a of state.attached) if (a.file !== state.dataFile) records = cite(records, a.ref, a.citedBy === ALL ? null : a.citedBy);
    return records;
  }

  async function sign() {
    state.signed = null;
    $('submit-button').disabled = true;
    const keystoreFile = $('keystore-file').files[0];
    if (!keystoreFile || !$('password').value) return setStatus('sign-status', t('need_keystore'), 'fail');
    const period = $('period').value;
    const revision = Number($('revision').value);
    try {
      const batch = buildBatch({ factoryId: config.factoryId, period, revision, records: citedRecords() });
      setStatus('sign-status', t('decrypting'), 'running');
      let wallet = await decryptKeystore(await keystoreFile.text(), $('password').value, config.signer,
        (f) => setProgress('decrypt-progress', f, `${Math.round(f * 100)} %`));
      $('password').value = '';
      state.signed = await signBatch(wallet, batch, config);
      wallet = null;
    } catch (error) {
      setStatus('sign-status', error.message, 'fail');
      return undefined;
    }
    $('keystore-file').value = '';
    setStatus('sign-status', t('signed', { n: state.signed.leaf_count, root: state.signed.root, signer: state.signed.signer }), 'ok');
    $('submit-button').disabled = false;
    $('download-signed').hidden = false;
    reveal('step-submit');
    return undefined;
  }

  async function allRecords(batch) {
    let records = [...batch.records];
    let offset = batch.next_offset;
    while (offset !== null && offset !== undefined) {
      const page = await json(`/batches/${encodeURIComponent(batch.id)}?offset=${offset}&limit=10000`);
      records = records.concat(page.records);
      offset = page.next_offset;
    }
    return records;
  }

  function showAnchor(batch) {
    const anchored = batch.status === 'anchored';
    setStatus('submit-status', anchored ? t('anchored', { period: batch.period, revision: batch.revision })
      : `${batch.status}${batch.message ? `: ${batch.message}` : ''}${batch.reason ? `: ${batch.reason}` : ''}`, anchored ? 'ok' : 'fail');
    $('anchor').replaceChildren(
      el('dt', {}, t('batch')), el('dd', {}, el('a', { href: `/batch/${batch.id}`, id: 'batch-link' }, batch.id)),
      el('dt', {}, t('transaction')), el('dd', {}, el('code', { id: 'anchor-tx' }, batch.tx_hash || '—')),
      el('dt', {}, t('block')), el('dd', { id: 'anchor-block' }, batch.block_number ?? '—'),
      el('dt', {}, t('root')), el('dd', {}, el('code', {}, batch.root)));
    $('anchor').hidden = false;
  }

  async function submit() {
    $('submit-button').disabled = true;
    setStatus('submit-status', t('submitting'), 'running');
    const body = new Blob(ndjsonLines(state.signed), { type: NDJSON });
    let answer;
    try {
      answer = await send('/batches', body, { contentType: NDJSON,
        onProgress: (f) => setProgress('submit-progress', f, t('sent', { percent: Math.round(f * 100) })) });
    } catch (error) {
      $('submit-button').disabled = false;
      return setStatus('submit-status', error.message, 'fail');
    }
    if (![200, 201, 202].includes(answer.status)) {
      $('submit-button').disabled = false;
      return setStatus('submit-status', detailOf(answer.body, answer.status), 'fail');
    }
    const batch = answer.body;
    showAnchor(batch);
    try {
      const result = await uploadCited(state.attached, citedEvidence(state.signed.records),
        (done, total, f) => setProgress('evidence-progress', total ? (done + f) / Math.max(total, 1) : 1, t('evidence_progress', { done, total })));
      setStatus('evidence-upload-status', result.missing.length ? t('evidence_missing', { files: result.missing.join(', ') })
        : t('evidence_done', { n: result.uploaded.length }), result.missing.length ? 'fail' : 'ok');
    } catch (error) {
      setStatus('evidence-upload-status', error.message, 'fail');
    }
    const records = await allRecords(batch);
    $('proof-links').replaceChildren(...records.map((r) => el('li', {}, el('a', { href: `/verify?record=${encodeURIComponent(r.id)}`,
      className: 'proof-link' }, `${r.source_id} · ${r.kind} · ${r.value} ${r.unit}`))));
    return reveal('step-result');
  }

  $('evidence-files').addEventListener('change', attach);
  $('evidence-list').addEventListener('change', (event) => {
    const visible = state.attached.filter((a) => a.file !== state.dataFile);
    visible[Number(event.target.dataset.index)].citedBy = event.target.value;
  });
  $('sign-button').addEventListener('click', sign);
  $('submit-button').addEventListener('click', submit);
  $('download-signed').addEventListener('click', () => download(`signed-${config.factoryId}-${$('period').value}.json`,
    JSON.stringify(state.signed, null, 2) + '\n', 'application/json'));

  return async (records, dataFile) => {
    state.records = records;
    state.signed = null;
    $('submit-button').disabled = true;
    state.attached = state.attached.filter((a) => a.file !== state.dataFile);
    state.dataFile = dataFile;
    // the imported file itself, when the records cite it (`evidence.cite_file`), is uploaded with the rest
    const ref = dataFile && records.length ? await evidenceRef(dataFile) : null;
    if (ref && citedEvidence(records).has(ref.sha256)) state.attached.push({ file: dataFile, ref, citedBy: null });
    renderEvidence();
  };
}
