// Small DOM helpers of the upload page: elements built as text (never HTML: file contents and
// service answers are untrusted), progress bars and status lines.

export const $ = (id) => document.getElementById(id);

/** `<tag attrs>children</tag>`; strings become text nodes, `null` children are skipped. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'className') node.className = value;
    else if (name === 'dataset') Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Set a <progress> (0..1) and its label; `null` makes it indeterminate. */
export function setProgress(id, fraction, label = '') {
  const bar = $(id);
  if (bar === null) return;
  bar.hidden = false;
  if (fraction === null) bar.removeAttribute('value');
  else bar.value = Math.max(0, Math.min(1, fraction));
  const text = $(`${id}-label`);
  if (text !== null) text.textContent = label;
}

/** A status line: `state` is one of ok, fail, running (a class the stylesheet colours). */
export function setStatus(id, text, state = '') {
  const node = $(id);
  if (node === null) return;
  node.className = `status ${state}`.trim();
  node.textContent = text;
}

/** Show a step's section (and keep the earlier ones). */
export function reveal(id) {
  const section = $(id);
  if (section !== null) section.hidden = false;
}

/** Offer `text` as a file download. */
export function download(fileName, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = el('a', { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
