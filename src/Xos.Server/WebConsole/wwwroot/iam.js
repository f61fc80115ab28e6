// The IAM API, called by the browser as any IAM client calls it: a form POST to "/" with Action and Version, which the
// server authenticates by the console session (its cookie and CSRF token) and authorises exactly as a signed request
// by the same key. So the console can do in IAM what the signed-in key may do, and nothing more; its answers and
// errors (ErrorResponse > Error > Code, Message) are IAM's own XML.
import { tokenHeaders, errorFrom, children, child, text } from './api.js';

export const IAM_VERSION = '2010-05-08';

/** One IAM action; resolves with the answer's ACTIONResult element (or the document root when there is none). */
export async function iam(action, params = {}) {
  const body = new URLSearchParams({ Action: action, Version: IAM_VERSION });
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) body.append(k, v);
  const res = await fetch('/', {
    method: 'POST',
    headers: { ...tokenHeaders(), 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: body.toString(),
    credentials: 'same-origin',
    cache: 'default',
  });
  if (!res.ok) throw await errorFrom(res);
  const doc = new DOMParser().parseFromString(await res.text(), 'application/xml');
  return child(doc.documentElement, `${action}Result`) || doc.documentElement;
}

/** Every member of a listed collection, following Marker while IsTruncated. */
export async function iamList(action, collection, params = {}) {
  const all = [];
  let marker = null;
  do {
    const result = await iam(action, { ...params, MaxItems: '1000', Marker: marker });
    all.push(...members(result, collection));
    marker = text(result, 'IsTruncated') === 'true' ? text(result, 'Marker') : null;
  } while (marker);
  return all;
}

/** The <member> children of el's child named `collection`. */
export function members(el, collection) {
  return children(child(el, collection), 'member');
}

/** A member's fields as a plain object of strings: { UserName: 'a', Arn: '...' }. */
export function fields(el) {
  const o = {};
  for (const c of el ? Array.from(el.children) : []) o[c.localName] = c.textContent;
  return o;
}

/** IAM answers policy documents URL-encoded. */
export function policyText(encoded) {
  let json = encoded || '';
  try { json = decodeURIComponent(json); } catch { /* already plain */ }
  try { return JSON.stringify(JSON.parse(json), null, 2); } catch { return json; }
}

/** Whether the signed-in key may use IAM at all: an account root may; an IAM user or role session as its policies say. */
export async function canUseIam() {
  try {
    await iam('ListUsers', { MaxItems: '1' });
    return true;
  } catch {
    return false;
  }
}

/** Names the console uses for the three kinds that hold policies. */
export const KINDS = {
  User: { param: 'UserName', page: 'user', label: 'user' },
  Group: { param: 'GroupName', page: 'group', label: 'group' },
  Role: { param: 'RoleName', page: 'role', label: 'role' },
};

/** The link to an entity's page. */
export function entityHash(kind, name) {
  return `#/access/${KINDS[kind].page}/${encodeURIComponent(name)}`;
}
