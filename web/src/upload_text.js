// The upload page's words. Every string this script shows comes from a dictionary the template
// renders, translated, into <script id="upload-text" type="application/json">: the strings live in
// the gettext catalog with the page's own, and `%(name)s` placeholders are filled here after
// translation, as ledger.i18n does.

let TEXT = {};

/** Read the page's dictionary (a missing or broken one leaves the keys themselves shown). */
export function loadText(doc = document) {
  const element = doc.getElementById('upload-text');
  try {
    TEXT = element === null ? {} : JSON.parse(element.textContent);
  } catch {
    TEXT = {};
  }
}

/** The translated string `key` with its `%(name)s` placeholders filled from `params`. */
export function t(key, params = {}) {
  const template = Object.prototype.hasOwnProperty.call(TEXT, key) ? TEXT[key] : key;
  return template.replace(/%\((\w+)\)s/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** An error whose message is already for the reader (translated); `field` names what is wrong. */
export class UploadError extends Error {
  constructor(message, field = null) {
    super(message);
    this.field = field;
  }
}
