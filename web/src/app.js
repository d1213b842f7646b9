// The browser entry of api/static/zcl.js: exposes `window.zcl` and, on the verify page, wires the
// form to the in-browser verifier.
//
// The page passes its configuration in <script id="zcl-config" type="application/json">
// {"rpcUrl": "...", "contract": "0x...", "chainId": 31337}</script>. Every chain fact is read from
// rpcUrl by this script (a path such as "/rpc", the service's read-only proxy, is on this page's origin); the only thing fetched from this service is a bundle by record id, and a
// bundle is what gets verified, not trusted.

import {
  BATCH_COMMIT_TYPE,
  CHECK_NAMES,
  QUANTITY_KINDS,
  RECORD_TYPES,
  UNITS,
  leafHash,
  parseRecord,
  processProof,
  recordHash,
  verifyBundle,
  HOURLY_CHECK_NAMES,
  HOURLY_TYPE,
  allocationHash,
  documentHash,
  verifyHourlyBundle,
} from './verify.js';
import { CLAIM_CHECK_NAMES, detailsHash, fill as fillNamed, verifyClaim } from './claim.js';

const zcl = {
  verifyBundle,
  parseRecord,
  recordHash,
  leafHash,
  processProof,
  readConfig,
  RECORD_TYPES,
  BATCH_COMMIT_TYPE,
  QUANTITY_KINDS,
  UNITS,
  CHECK_NAMES,
  verifyClaim,
  detailsHash,
  CLAIM_CHECK_NAMES,
  verifyHourlyBundle,
  allocationHash,
  documentHash,
  HOURLY_CHECK_NAMES,
};

const root = typeof window !== 'undefined' ? window : globalThis;
root.zcl = zcl;

/** The page's configuration from #zcl-config; throws a readable Error when it is missing or broken. */
function readConfig(doc = document) {
  const element = doc.getElementById('zcl-config');
  if (element === null) throw new Error('this page has no verifier configuration (#zcl-config)');
  let config;
  try {
    config = JSON.parse(element.textContent);
  } catch (error) {
    throw new Error(`the verifier configuration (#zcl-config) is not valid JSON: ${error.message}`);
  }
  if (config === null || typeof config !== 'object' || typeof config.rpcUrl !== 'string' || !config.rpcUrl) {
    throw new Error('the verifier configuration (#zcl-config) gives no rpcUrl');
  }
  return { ...config, rpcUrl: new URL(config.rpcUrl, doc.baseURI).href };
}

const CLASSES = { true: 'ok', false: 'fail', null: 'skipped' };

function setVerdict(verdict, state, text) {
  if (verdict === null) return;
  verdict.classList.remove('valid', 'invalid', 'running', 'error');
  for (const name of state.split(' ').filter(Boolean)) verdict.classList.add(name);
  verdict.textContent = text;
}

/** The page's words (#zcl-texts, translated by the server), or null: the English built in here. */
function readTexts(doc) {
  const element = doc.getElementById('zcl-texts');
  if (element === null) return null;
  try {
    return JSON.parse(element.textContent);
  } catch {
    return null;
  }
}

/** `template` with each {name} replaced by values[name]. */
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

function renderChecks(list, checks, texts, hourly = false) {
  if (list === null) return;
  const explained = (texts && (hourly ? texts.hourlyChecks : texts.checks)) || {};
  list.replaceChildren(
    ...checks.map((check) => {
      const item = document.createElement('li');
      item.className = `check ${CLASSES[check.ok]}`;
      item.dataset.check = check.name;
      const words = explained[check.name];
      // text, never HTML: a bundle is untrusted
      const title = document.createElement('strong');
      title.textContent = words ? words[0] : check.name;
      const detail = document.createElement('span');
      detail.className = 'detail';
      detail.textContent = ` — ${check.detail}`;
      item.append(title, detail);
      if (words) {
        const meaning = document.createElement('div');
        meaning.className = 'meaning';
        meaning.textContent = check.ok === false ? fill(texts.ifFails || 'If it fails: {why}', { why: words[2] }) : words[1];
        item.append(meaning);
      }
      return item;
    }),
  );
}

/** The verdict on a signed matching claim (pieces of an anchored hourly matching run). */
function hourlySummary(report, bundle, texts) {
  const doc = (bundle && bundle.document) || {};
  const values = { factory: doc.factory_id, year: doc.year, report: bundle.anchor && bundle.anchor.report_id };
  if (report.valid) {
    if (report.supersededBy !== null) {
      return texts && texts.hourlyValidSuperseded
        ? fill(texts.hourlyValidSuperseded, { ...values, n: report.supersededBy })
        : `Valid: the pieces are allocated in matching run ${values.report} of ${values.factory} ${values.year}, but a later run supersedes it (report ${report.supersededBy}).`;
    }
    return texts && texts.hourlyValid
      ? fill(texts.hourlyValid, values)
      : `Valid: the pieces are allocated in matching run ${values.report} of ${values.factory} ${values.year}, the latest run.`;
  }
  return invalidText(report, texts, texts && texts.hourlyChecks);
}

/** The verdict of a report with a failed check: the check's name in the page's words, and why. */
function invalidText(report, texts, explained) {
  const failure = report.checks.find((c) => c.ok === false);
  if (!failure) return 'Not valid.';
  const words = explained && explained[failure.name];
  return texts
    ? `${fill(texts.invalid, { check: words ? words[0] : failure.name })} ${failure.detail}`
    : `Not valid: the ${failure.name} check failed — ${failure.detail}`;
}

function summary(report, bundle, texts) {
  const values = { factory: bundle.factory_id, period: bundle.period, revision: bundle.revision };
  if (report.valid) {
    const what = texts ? fill(texts.what, values) : `${bundle.factory_id} ${bundle.period} revision ${bundle.revision}`;
    if (report.supersededBy !== null) {
      return texts
        ? fill(texts.validSuperseded, { what })
        : `Valid: the record is anchored in ${what}, but that revision is superseded by revision ${report.supersededBy}.`;
    }
    return texts ? fill(texts.valid, { what }) : `Valid: the record is anchored in ${what}, the latest revision.`;
  }
  return invalidText(report, texts, texts && texts.checks);
}

/** The banner of a valid record whose revision the factory has since corrected, or nothing. */
function showSuperseded(banner, report, bundle, texts) {
  if (banner === null) return;
  banner.replaceChildren();
  banner.hidden = !(report && report.valid && report.supersededBy !== null);
  if (banner.hidden) return;
  const head = document.createElement('strong');
  head.textContent = texts ? fill(texts.superseded, { n: report.supersededBy }) : `Superseded by revision ${report.supersededBy}.`;
  const text = document.createTextNode(` ${texts ? texts.supersededText : ''} `);
  const link = document.createElement('a');
  link.href = `/factory/${encodeURIComponent(bundle.factory_id)}?year=${encodeURIComponent(String(bundle.period).slice(0, 4))}#anchors`;
  link.textContent = texts ? texts.supersededLink : "See the factory's anchored months";
  banner.append(head, text, link);
}

async function readText(file) {
  if (typeof file.text === 'function') return file.text();
  return new Response(file).text();
}

async function fetchBundle(recordId) {
  let response;
  try {
    response = await fetch(`/records/${encodeURIComponent(recordId)}/proof`, { headers: { Accept: 'application/json' } });
  } catch (error) {
    throw new Error(`Could not fetch the bundle of record ${recordId}: ${error.message}`);
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`.trim();
    try {
      const body = await response.json();
      if (body && typeof body.detail === 'string') detail = body.detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(`No proof bundle for record ${recordId}: ${detail}`);
  }
  try {
    return await response.json();
  } catch (error) {
    throw new Error(`The service answered with something that is not JSON: ${error.message}`);
  }
}

function wirePage(doc) {
  const $ = (id) => doc.getElementById(id);
  const button = $('verify-button');
  if (button === null) return;
  const textarea = $('bundle-input');
  const bundleFile = $('bundle-file');
  const dropZone = $('drop-zone');
  const recordInput = $('record-id');
  const evidenceInput = $('evidence-files');
  const list = $('checks');
  const verdict = $('verdict');
  const banner = $('superseded');
  const texts = readTexts(doc);

  // The bundle comes from whichever source the user touched last: the record id, or the text box
  // (typed, pasted, or filled from a chosen or dropped file).
  let source = recordInput !== null && recordInput.value.trim() ? 'record' : 'text';
  let runs = 0;

  const fail = (message) => {
    renderChecks(list, []);
    setVerdict(verdict, 'invalid error', message);
  };

  async function loadFile(file) {
    if (!file) return;
    try {
      const text = await readText(file);
      if (textarea !== null) textarea.value = text;
      source = 'text';
      renderChecks(list, []);
      setVerdict(verdict, '', `Loaded ${file.name || 'the file'}; press verify.`);
    } catch (error) {
      fail(`Could not read ${file.name || 'the file'}: ${error.message}`);
    }
  }

  async function bundleToVerify() {
    const recordId = recordInput !== null ? recordInput.value.trim() : '';
    const text = textarea !== null ? textarea.value.trim() : '';
    if (recordId && (source === 'record' || !text)) {
      const bundle = await fetchBundle(recordId);
      if (textarea !== null) textarea.value = JSON.stringify(bundle, null, 2);
      return bundle;
    }
    if (!text) throw new Error('Paste a proof bundle, choose or drop its file, or enter a record id.');
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`The bundle is not valid JSON: ${error.message}`);
    }
  }

  async function verify() {
    const run = ++runs;
    button.disabled = true;
    renderChecks(list, []);
    showSuperseded(banner, null);
    setVerdict(verdict, 'running', texts ? texts.running : 'Verifying against the chain…');
    try {
      const config = readConfig(doc);
      const bundle = await bundleToVerify();
      const evidenceFiles = evidenceInput !== null && evidenceInput.files ? Array.from(evidenceInput.files) : [];
      const options = { rpcUrl: config.rpcUrl, contract: config.contract, chainId: config.chainId };
      const hourly = bundle !== null && typeof bundle === 'object' && bundle.type === HOURLY_TYPE;
      const report = hourly
        ? await verifyHourlyBundle(bundle, options) // a signed matching claim
        : await verifyBundle(bundle, { ...options, evidenceFiles });
      if (run !== runs) return;
      renderChecks(list, report.checks, texts, hourly);
      if (!hourly) showSuperseded(banner, report, bundle, texts);
      const said = hourly ? hourlySummary(report, bundle, texts) : summary(report, bundle, texts);
      setVerdict(verdict, report.valid ? 'valid' : 'invalid', said);
    } catch (error) {
      if (run === runs) fail(error && error.message ? error.message : String(error));
    } finally {
      if (run === runs) button.disabled = false;
    }
  }

  const form = $('verify-form');
  if (form !== null) form.addEventListener('submit', (event) => event.preventDefault()); // Enter in a field
  button.addEventListener('click', (event) => {
    event.preventDefault();
    verify();
  });
  if (recordInput !== null) recordInput.addEventListener('input', () => (source = 'record'));
  if (textarea !== null) textarea.addEventListener('input', () => (source = 'text'));
  if (bundleFile !== null) {
    bundleFile.addEventListener('change', () => loadFile(bundleFile.files && bundleFile.files[0]));
  }
  if (dropZone !== null) {
    for (const type of ['dragenter', 'dragover']) {
      dropZone.addEventListener(type, (event) => {
        event.preventDefault();
        dropZone.classList.add('dragover');
      });
    }
    dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragover'));
    dropZone.addEventListener('drop', (event) => {
      event.preventDefault();
      dropZone.classList.remove('dragover');
      const files = event.dataTransfer && event.dataTransfer.files;
      loadFile(files && files[0]);
    });
  }
  try {
    const config = readConfig(doc);
    if (config.autoVerify && source === 'record') verify();
  } catch (error) {
    fail(error.message);
  }
}

/** The JSON of a <script type="application/json"> element of the page, or null. */
function readJson(doc, id) {
  const element = doc.getElementById(id);
  return element === null ? null : JSON.parse(element.textContent);
}

// The claim page (/claim/{id}): check the claim the page shows against the chain, on load and on demand.
function wireClaimPage(doc) {
  const list = doc.getElementById('checks');
  const verdict = doc.getElementById('verdict');
  const button = doc.getElementById('claim-verify-button');
  const shown = readJson(doc, 'zcl-claim');
  const messages = readJson(doc, 'claim-messages') || {};
  if (shown === null || list === null) return;
  const say = (key, values = {}) => fillNamed(messages[key] || key, values);
  let runs = 0;

  async function check() {
    const run = ++runs;
    if (button !== null) button.disabled = true;
    renderChecks(list, []);
    setVerdict(verdict, 'running', say('running'));
    try {
      const config = readConfig(doc);
      const report = await verifyClaim(shown, { ...config, messages });
      if (run !== runs) return;
      list.replaceChildren(
        ...report.checks.map((c) => {
          const item = doc.createElement('li');
          item.className = `check ${CLASSES[c.ok]}`;
          item.dataset.check = c.name;
          const name = doc.createElement('strong');
          name.textContent = `${say(`name_${c.name}`)}: `;
          item.append(name, doc.createTextNode(c.detail)); // text, never HTML
          return item;
        }),
      );
      showChainFacts(doc, report.onChain);
      const failure = report.checks.find((c) => c.ok === false);
      if (!report.valid) {
        setVerdict(verdict, 'invalid', say('verdict_invalid', { check: failure ? failure.detail : '' }));
      } else if (report.state === 'revoked') {
        setVerdict(verdict, 'valid revoked', say('verdict_revoked', { claim_id: shown.claim_id }));
      } else {
        setVerdict(verdict, 'valid', say('verdict_valid', { claim_id: shown.claim_id, state: say(`state_${report.state}`) }));
      }
    } catch (error) {
      if (run === runs) setVerdict(verdict, 'invalid error', error && error.message ? error.message : String(error));
    } finally {
      if (run === runs && button !== null) button.disabled = false;
    }
  }

  if (button !== null) button.addEventListener('click', (event) => {
    event.preventDefault();
    check();
  });
  check();
}

// What the reader sees is what the chain says: each fact marked data-chain="key" is rewritten with
// the value the browser read (text, never HTML), and marked as read from the chain.
function showChainFacts(doc, onChain) {
  if (!onChain) return;
  for (const element of doc.querySelectorAll('[data-chain]')) {
    const key = element.dataset.chain;
    if (!(key in onChain)) continue;
    element.textContent = String(onChain[key]);
    element.classList.add('from-chain');
  }
}

function wireAll(doc) {
  wirePage(doc);
  wireClaimPage(doc);
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', () => wireAll(document));
  } else {
    wireAll(document);
  }
}
