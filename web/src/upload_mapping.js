// The mapping of a file's columns to records (the structure `zcl batch import --mapping` reads as
// TOML, and POST /imports/preview as JSON): a CSV's header read in the page, mappings kept per
// factory and source in localStorage (mappings only: nothing secret is ever stored), and the
// mapping written out as the TOML file the CLI takes.

const PREFIX = 'zcl-upload-mapping:';
const DELIMITERS = [',', ';', '\t', '|'];

/** The text of a CSV's first bytes: UTF-8 when it decodes as such, else GB18030 (GBK's superset). */
async function headText(file) {
  const bytes = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** One CSV line split on `delimiter`, with RFC 4180 quotes. */
function splitLine(line, delimiter) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cell += '"'), (i += 1);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) cells.push(cell.trim()), (cell = '');
    else cell += c;
  }
  cells.push(cell.trim());
  return cells;
}

/** The column names on row `headerRow` (1-based) of a CSV file. */
export async function csvHeader(file, headerRow = 1, delimiter = 'auto') {
  const lines = (await headText(file)).split(/\r\n|\n|\r/);
  const line = lines[headerRow - 1] || '';
  const chosen = delimiter !== 'auto' ? delimiter : DELIMITERS.reduce((a, b) => (line.split(b).length > line.split(a).length ? b : a));
  return splitLine(line, chosen).filter((name) => name !== '');
}

const key = (factoryId, source) => `${PREFIX}${factoryId}:${source}`;

/** Keep `mapping` as this factory's mapping for `source` (an export, named by the person). */
export function saveMapping(storage, factoryId, source, mapping) {
  storage.setItem(key(factoryId, source), JSON.stringify(mapping));
}

/** This factory's saved mappings: `[{ source, mapping }]`, by source name. */
export function savedMappings(storage, factoryId) {
  const out = [];
  for (let i = 0; i < storage.length; i += 1) {
    const name = storage.key(i);
    if (!name.startsWith(`${PREFIX}${factoryId}:`)) continue;
    try {
      out.push({ source: name.slice(key(factoryId, '').length), mapping: JSON.parse(storage.getItem(name)) });
    } catch {
      // a damaged entry is skipped, not fatal
    }
  }
  return out.sort((a, b) => (a.source < b.source ? -1 : 1));
}

// --- TOML -----------------------------------------------------------------------------------------

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const tomlKey = (name) => (BARE_KEY.test(name) ? name : JSON.stringify(name));
const isTable = (x) => x !== null && typeof x === 'object' && !Array.isArray(x);
const isTableArray = (x) => Array.isArray(x) && x.length > 0 && x.every(isTable);

/** A TOML value: JSON's string escapes are TOML's basic-string escapes; arrays of tables inline. */
function tomlValue(value) {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`;
  if (isTable(value)) return `{ ${Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join(', ')} }`;
  throw new Error(`cannot write ${typeof value} as TOML`);
}

function tomlTable(table, path, out) {
  const simple = Object.entries(table).filter(([, v]) => !isTable(v) && !isTableArray(v));
  if (path.length && (simple.length || !Object.values(table).some((v) => isTable(v) || isTableArray(v)))) {
    out.push('', `[${path.map(tomlKey).join('.')}]`);
  }
  for (const [k, v] of simple) out.push(`${tomlKey(k)} = ${tomlValue(v)}`);
  for (const [k, v] of Object.entries(table)) {
    if (isTable(v)) tomlTable(v, [...path, k], out);
    else if (isTableArray(v)) {
      for (const item of v) {
        out.push('', `[[${[...path, k].map(tomlKey).join('.')}]]`);
        for (const [ik, iv] of Object.entries(item)) out.push(`${tomlKey(ik)} = ${tomlValue(iv)}`);
      }
    }
  }
}

/** The mapping as TOML text (`zcl batch import --mapping FILE.toml`). */
export function mappingToml(mapping) {
  const out = [];
  tomlTable(mapping, [], out);
  return out.join('\n').replace(/^\n+/, '') + '\n';
}
