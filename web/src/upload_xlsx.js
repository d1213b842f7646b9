// A workbook's header row, read in the page so the mapping editor can list an XLSX's columns as it
// lists a CSV's: the .xlsx zip's central directory, its parts inflated with the browser's
// DecompressionStream, and the sheet's cells read as ledger/imports/tables.py reads them (shared
// strings, inline strings, plain values). Only the header row is read; the rows are the service's.

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;

/** The zip's entries: name → `{ method, size, offset }` of its compressed data. */
function entries(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = bytes.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== EOCD) end -= 1;
  if (end < 0) throw new Error('not a zip file');
  const found = new Map();
  let at = view.getUint32(end + 16, true);
  for (let i = 0; i < view.getUint16(end + 10, true) && view.getUint32(at, true) === CENTRAL; i += 1) {
    const nameLength = view.getUint16(at + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    const local = view.getUint32(at + 42, true);
    const data = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    found.set(name, { method: view.getUint16(at + 10, true), size: view.getUint32(at + 20, true), offset: data });
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return found;
}

async function part(bytes, zip, name) {
  const entry = zip.get(name);
  if (entry === undefined) return null;
  const raw = bytes.subarray(entry.offset, entry.offset + entry.size);
  if (entry.method === 0) return new TextDecoder().decode(raw);
  const stream = new Blob([raw]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
  return new Response(stream).text();
}

const xml = (text) => new DOMParser().parseFromString(text, 'application/xml');
const all = (node, tag) => Array.from(node.getElementsByTagNameNS('*', tag));
const textOf = (node) => all(node, 't').map((t) => t.textContent).join('');

function columnIndex(reference) {
  let index = 0;
  for (const c of reference.replace(/[0-9]+$/, '')) index = index * 26 + (c.charCodeAt(0) - 64);
  return index - 1;
}

/** The names on row `headerRow` of the sheet named `sheet` (else the first), as the importer reads them. */
export async function xlsxHeader(file, headerRow = 1, sheet = null) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const zip = entries(bytes);
  const workbook = xml(await part(bytes, zip, 'xl/workbook.xml'));
  const sheets = all(workbook, 'sheet');
  const chosen = sheets.find((s) => s.getAttribute('name') === sheet) || sheets[0];
  const rels = xml(await part(bytes, zip, 'xl/_rels/workbook.xml.rels'));
  const id = chosen.getAttribute('r:id') || chosen.getAttributeNS('http://schemas.openxmlformats.org/officeDocument/2006/relationships', 'id');
  const target = all(rels, 'Relationship').find((r) => r.getAttribute('Id') === id).getAttribute('Target');
  const path = target.startsWith('/') ? target.slice(1) : `xl/${target}`;
  const sharedText = await part(bytes, zip, 'xl/sharedStrings.xml');
  const shared = sharedText === null ? [] : all(xml(sharedText), 'si').map(textOf);
  const row = all(xml(await part(bytes, zip, path)), 'row').find((r) => Number(r.getAttribute('r')) === headerRow);
  const names = [];
  for (const c of row ? all(row, 'c') : []) {
    const value = all(c, 'v')[0];
    const type = c.getAttribute('t');
    const text = type === 'inlineStr' ? textOf(c) : type === 's' ? shared[Number(value.textContent)] : value ? value.textContent : '';
    names[columnIndex(c.getAttribute('r'))] = (text || '').trim();
  }
  return Array.from(names, (name) => name || '').filter((name) => name !== '');
}
