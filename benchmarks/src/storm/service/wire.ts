/**
 * The Gemini REST shapes the storm service answers with (generateContent only), so the real @google/genai SDK
 * can be one of the clients and every client parses real Gemini errors.
 */

const ANSWER = JSON.stringify({
  candidates: [{ content: { role: 'model', parts: [{ text: 'pong' }] }, finishReason: 'STOP', index: 0 }],
  usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'storm',
});

const OVERLOADED = JSON.stringify({
  error: {
    code: 503,
    message: 'The model is overloaded. Please try again later.',
    status: 'UNAVAILABLE',
  },
});

/** google.rpc.Duration text: seconds with up to nine decimals, e.g. "4.25s". */
export function protoDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  return `${Number(seconds.toFixed(3))}s`;
}

/** A per-minute request quota refusal, with QuotaFailure, Help and RetryInfo details as Gemini sends them. */
export function quotaBody(model: string, limit: number, retryDelayMs: number): string {
  const delay = protoDuration(retryDelayMs);
  return JSON.stringify({
    error: {
      code: 429,
      message:
        `You exceeded your current quota, please check your plan and billing details. * Quota exceeded for ` +
        `metric: generativelanguage.googleapis.com/generate_content_requests, limit: ${limit}, model: ${model}\n` +
        `Please retry in ${delay}.`,
      status: 'RESOURCE_EXHAUSTED',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
          violations: [
            {
              quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests',
              quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
              quotaDimensions: { location: 'global', model },
              quotaValue: String(limit),
            },
          ],
        },
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [
            {
              description: 'Learn more about Gemini API quotas',
              url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
            },
          ],
        },
        { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay },
      ],
    },
  });
}

export const bodies = { answer: ANSWER, overloaded: OVERLOADED } as const;

/** `/v1/models/gemini-2.5-flash:generateContent` (or v1beta) -> the model id; undefined for anything else. */
export function generateContentModel(path: string): string | undefined {
  const match = /^\/v1(?:beta)?\/models\/([^/:]+):generateContent$/.exec(path);
  return match?.[1];
}
