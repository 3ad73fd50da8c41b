/**
 * Idempotent methods (RFC 9110 section 9.2.2): sending one twice has the same effect as sending it once, so a
 * failed attempt may be repeated. POST, PATCH, CONNECT and unknown methods are not.
 */
export const IDEMPOTENT_METHODS: readonly string[] = /* @__PURE__ */ Object.freeze([
  'GET',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'PUT',
  'DELETE',
]);

/** Method names are case-sensitive in HTTP, but fetch upper-cases only some ('patch' stays as given). */
export function normalizeMethod(method: unknown): string {
  return typeof method === 'string' && method !== '' ? method.toUpperCase() : 'GET';
}

/**
 * True for a method that is safe to repeat: by default the idempotent ones of RFC 9110 (GET, HEAD, OPTIONS, TRACE, PUT,
 * DELETE), compared upper-cased; a missing or non-string method counts as GET.
 */
export function isIdempotentMethod(
  method: unknown,
  idempotent: readonly string[] = IDEMPOTENT_METHODS,
): boolean {
  return idempotent.includes(normalizeMethod(method));
}
