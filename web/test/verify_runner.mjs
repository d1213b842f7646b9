// Test driver for tests/test_web_bundle.py: runs the browser verifier in Node, over stdio.
//
// stdin:  {"mode": "module" | "bundle",
//          "cases": [{"id": "...", "bundle": {...}, "options": {"rpcUrl", "contract", "chainId"},
//                     "evidence": [{"name": "bill.pdf", "base64": "..."}]}, ...]}
// stdout: {"results": [{"id", "report"}], "tables": {RECORD_TYPES, BATCH_COMMIT_TYPE, QUANTITY_KINDS,
//          UNITS}, "console": [every console call made while verifying], "errors": [uncaught ones]}
//
// "module" imports web/src/verify.js; "bundle" runs the committed api/static/zcl.js as a browser
// would (a classic script defining window.zcl), so the shipped file itself is what gets tested.
import { readFile } from 'node:fs/promises';
import vm from 'node:vm';

const ROOT = new URL('../../', import.meta.url);

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function loadVerifier(mode) {
  if (mode === 'module') return import(new URL('web/src/verify.js', ROOT));
  if (mode === 'bundle') {
    const code = await readFile(new URL('api/static/zcl.js', ROOT), 'utf8');
    globalThis.window = globalThis; // no `document`: the page wiring must stay out of the way
    vm.runInThisContext(code, { filename: 'zcl.js' });
    return globalThis.window.zcl;
  }
  throw new Error(`unknown mode ${mode}`);
}

const input = JSON.parse(await readStdin());
const zcl = await loadVerifier(input.mode);

const consoleCalls = [];
const errors = [];
process.on('unhandledRejection', (e) => errors.push(`unhandledRejection: ${e && e.stack ? e.stack : e}`));
process.on('uncaughtException', (e) => errors.push(`uncaughtException: ${e && e.stack ? e.stack : e}`));
const realConsole = { ...console };
for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[level] = (...args) => consoleCalls.push({ level, text: args.map(String).join(' ') });
}

const results = [];
for (const c of input.cases) {
  const evidenceFiles = (c.evidence ?? []).map(({ name, base64 }) => new File([Buffer.from(base64, 'base64')], name));
  try {
    const report = await zcl.verifyBundle(c.bundle, { ...c.options, evidenceFiles });
    results.push({ id: c.id, report });
  } catch (e) {
    results.push({ id: c.id, thrown: e && e.stack ? e.stack : String(e) });
  }
}
// let anything left behind (timers, pending requests) surface before reporting
await new Promise((resolve) => setTimeout(resolve, 100));
Object.assign(console, realConsole);

const tables = {
  RECORD_TYPES: zcl.RECORD_TYPES,
  BATCH_COMMIT_TYPE: zcl.BATCH_COMMIT_TYPE,
  QUANTITY_KINDS: zcl.QUANTITY_KINDS,
  UNITS: zcl.UNITS,
};
process.stdout.write(JSON.stringify({ results, tables, console: consoleCalls, errors }));
