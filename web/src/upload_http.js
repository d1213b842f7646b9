// Requests of the upload page to this service: JSON, and bodies sent with upload progress
// (XMLHttpRequest reports the bytes sent; a fetch with a streamed body needs HTTP/2).

import { UploadError, t } from './upload_text.js';

/** A service answer's `detail` as one line (FastAPI's 422 lists name their fields). */
export function detailOf(body, status) {
  const detail = body && body.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).filter((p) => p !== 'body').join('.')}: ${d.msg}`).join('; ');
  }
  return t('http_error', { status });
}

/** POST `body` with `onProgress(sentFraction)`; resolves `{ status, body }` (JSON), rejects on a network error. */
export function send(url, body, { contentType = null, onProgress = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    if (contentType !== null) xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let parsed = null;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = null;
      }
      resolve({ status: xhr.status, body: parsed });
    };
    xhr.onerror = () => reject(new UploadError(t('network_error')));
    xhr.send(body);
  });
}

/** GET or POST JSON; throws an UploadError with the service's detail unless the status is 2xx. */
export async function json(url, body = undefined) {
  const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new UploadError(t('network_error'));
  }
  const parsed = await response.json().catch(() => null);
  if (!response.ok) throw new UploadError(detailOf(parsed, response.status));
  return parsed;
}
