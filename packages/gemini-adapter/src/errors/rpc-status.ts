/**
 * Digs the google.rpc.Status out of the shapes the SDK puts it in:
 * - the plain JSON body as the message: `{"error":{"code":503,"status":"UNAVAILABLE",...}}`;
 * - double-wrapped, when the response was not labelled JSON: `{"error":{"message":"<the real body>",
 *   "code":503,"status":"Service Unavailable"}}`, where the real body may be JSON, HTML or plain text;
 * - the stream form: `got status: UNAVAILABLE. {"error":{...}}`.
 */

export interface RpcStatusInfo {
  readonly code: number | undefined;
  /** A google.rpc code name; HTTP reason phrases ("Service Unavailable") are not kept. */
  readonly status: string | undefined;
  readonly message: string;
  readonly details: readonly unknown[];
}

const MAX_DEPTH = 4;
const MAX_MESSAGE_CHARS = 2000;
const RPC_NAME = /^[A-Z][A-Z_]+$/;

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function looksLikeHtml(text: string): boolean {
  return /^\s*<(?:!doctype|html|head|body|title|p|h1)\b/i.test(text);
}

/** Readable text of an HTML error page: its title and paragraphs without tags. */
export function htmlToText(html: string): string {
  // Bounded input keeps the regexes linear-time in practice even for a huge page.
  const text = html
    .slice(0, 100_000)
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
  return text.slice(0, MAX_MESSAGE_CHARS);
}

function codeOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

/** The status object inside a parsed body: `{error:{...}}`, `[{error:{...}}]`, or a bare status. */
function statusObject(parsed: unknown): Record<string, unknown> | undefined {
  const body = Array.isArray(parsed) ? parsed[0] : parsed;
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'object' && error !== null) return error as Record<string, unknown>;
  const bare = body as Record<string, unknown>;
  return 'code' in bare || 'status' in bare ? bare : undefined;
}

function fromText(text: string, depth: number): RpcStatusInfo | undefined {
  const trimmed = text.trim();
  const stream = /^got status: [^.]*\.\s*([[{][\s\S]*)$/.exec(trimmed);
  const json = stream !== null ? stream[1]! : trimmed;
  if (json.startsWith('{') || json.startsWith('[')) {
    const status = statusObject(tryJson(json));
    if (status !== undefined) return fromStatus(status, depth);
  }
  return undefined;
}

function fromStatus(error: Record<string, unknown>, depth: number): RpcStatusInfo {
  const rawStatus = error.status;
  const outer: RpcStatusInfo = {
    code: codeOf(error.code),
    status: typeof rawStatus === 'string' && RPC_NAME.test(rawStatus) ? rawStatus : undefined,
    message: typeof error.message === 'string' ? error.message : '',
    details: Array.isArray(error.details) ? error.details : [],
  };
  if (depth >= MAX_DEPTH) return outer;
  // Double-wrapped: the real body travels as the outer message.
  const inner = fromText(outer.message, depth + 1);
  if (inner !== undefined) {
    return {
      code: inner.code ?? outer.code,
      status: inner.status ?? outer.status,
      message: inner.message,
      details: inner.details.length > 0 ? inner.details : outer.details,
    };
  }
  if (looksLikeHtml(outer.message)) return { ...outer, message: htmlToText(outer.message) };
  return outer;
}

/** The google.rpc.Status carried by an SDK error message, or undefined when the text holds none. */
export function rpcStatusFromMessage(message: string): RpcStatusInfo | undefined {
  return fromText(message, 0);
}

/** A google.rpc.Status from an already-parsed body or status object. */
export function rpcStatusFromObject(value: unknown): RpcStatusInfo | undefined {
  const status = statusObject(value);
  return status === undefined ? undefined : fromStatus(status, 0);
}

/** Shortens a message for display, turning HTML pages into text. */
export function cleanMessage(text: string): string {
  const clean = looksLikeHtml(text) ? htmlToText(text) : text.trim();
  return clean.length > MAX_MESSAGE_CHARS ? `${clean.slice(0, MAX_MESSAGE_CHARS)}...` : clean;
}
