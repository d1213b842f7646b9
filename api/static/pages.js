// Small helpers of the server-rendered pages, vanilla and CSP-safe (no inline script): copy buttons.
//
// A shortened hash (0x12ab…9f3c) keeps the whole value in its button's data-copy. Clicking copies
// it with the Clipboard API; where that is unavailable or refused (no permission, not a secure
// context) the whole value is put in the page and selected, so the reader copies it themselves.
(() => {
  'use strict';

  function selectFull(button, value) {
    const code = button.parentElement && button.parentElement.querySelector('code.short');
    if (code === null) return false;
    code.textContent = value; // the whole hash in place of 0x12ab…9f3c
    code.classList.add('expanded');
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }

  async function copy(button) {
    const value = button.dataset.copy || '';
    let copied = false;
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(value);
        copied = true;
      } catch {
        copied = false; // refused: fall back to a selection
      }
    }
    if (!copied) copied = selectFull(button, value); // selected; execCommand('copy') says whether it also copied
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = copied ? button.dataset.copied : button.dataset.selected;
    button.classList.add('done');
    window.setTimeout(() => {
      button.textContent = label;
      button.classList.remove('done');
    }, 2000);
  }

  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('button.copy') : null;
    if (button !== null) {
      event.preventDefault();
      copy(button);
    }
  });
})();
