// The admin API, as the signed-in company admin (the session cookie, sent by the browser; the
// browser also sends this page's Origin with every POST, PATCH and DELETE, which the API
// requires). Errors become sentences a person can act on.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

let tenant = null;
let onSignedOut = () => {};

/** The tenant every later call is about, and what to do when the session ends. */
export function configure(tenantId, signedOut) {
  tenant = tenantId;
  onSignedOut = signedOut;
}

/** A path under the signed-in admin's tenant. */
export function tenantPath(rest) {
  return `/tenants/${encodeURIComponent(tenant)}${rest}`;
}

/** `/admin/v1` + path, for links (the CSV download). */
export function url(path, params) {
  return '/admin/v1' + path + query(params);
}

/** `?a=b&…` of the non-empty values of `params`. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

function words(status, body, retryAfter) {
  const detail = body && typeof body.detail === 'string' ? body.detail : '';
  switch (status) {
    case 401:
      return 'You are signed out (the session ended, was revoked or expired). Open a new sign-in link.';
    case 403:
      return detail || 'You may not do this.';
    case 404:
      return detail || 'Not found: it may have been removed meanwhile.';
    case 429:
      return `Too many requests. Try again in ${retryAfter || 'a few'} seconds.`;
    default:
      if (status >= 500) {
        return `The server could not do this just now (${status}${detail ? ': ' + detail : ''}). Try again in a moment.`;
      }
      return detail || `The request was refused (${status}).`;
  }
}

/** Calls the admin API; resolves to the JSON answer (null for 204), rejects with ApiError. */
export async function api(method, path, params, body) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url(path, params), init);
  } catch {
    throw new ApiError(0, 'network', 'The server could not be reached. Check your connection and try again.');
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const err = new ApiError(res.status, data && data.error, words(res.status, data, res.headers.get('Retry-After')));
    if (res.status === 401) onSignedOut(err);
    throw err;
  }
  return data;
}
