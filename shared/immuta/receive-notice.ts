// POST /immuta, free of AWS and HTTP frameworks so that the Lambda and the local server run the same code:
// raw request → size → signature over the raw bytes → JSON → hints → the hint queue → the answer. It never
// fetches anything itself: Immuta gives up after 10 s, so the answer only waits for one queue write.
// Checks run in that order and nothing in the body is read before the signature matched.
import { isUtf8 } from 'node:buffer';
import { diagnostic, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { SecretStore } from '../ports/secret-store.js';
import { lowerCaseHeaders, type WebhookHeaders } from '../events/webhook-parser.js';
import { noticeHints, type Hint } from './notice.js';
import { verifyImmutaSignature, type SignatureEncoding } from './notice-signature.js';

/** Immuta's notices are a few KB; anything near API Gateway's limits is not one. */
export const MAX_NOTICE_BODY_BYTES = 64 * 1024;

export interface HintSink {
  /** Durably queue the hints of one notice (SQS in AWS, an in-process queue locally). */
  send(hints: Hint[]): Promise<void>;
}

export interface NoticeRequest {
  body: string | null | undefined;
  isBase64Encoded?: boolean;
  headers: WebhookHeaders | null | undefined;
}

export interface NoticeDeps {
  secrets: SecretStore;
  /** Name (ARN) of the shared secret configured on the Immuta webhook. */
  secretName: string;
  hints: HintSink;
  encoding?: SignatureEncoding;
}

export interface NoticeOutcome {
  status: 202 | 400 | 401 | 413 | 500 | 503;
  body: { accepted: number } | { error: string; diagnostics: Diagnostic[] };
  hints: Hint[];
  diagnostics: Diagnostic[];
  cause?: unknown;
}

const refused = (status: 400 | 401 | 413, diagnostics: Diagnostic[]): NoticeOutcome => ({
  status,
  body: { error: 'notice rejected', diagnostics },
  hints: [],
  diagnostics,
});

export async function receiveNotice(request: NoticeRequest, deps: NoticeDeps): Promise<NoticeOutcome> {
  const raw = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.byteLength > MAX_NOTICE_BODY_BYTES) {
    return refused(413, [
      diagnostic('VG703', `notice body is ${raw.byteLength} bytes; the limit is ${MAX_NOTICE_BODY_BYTES}`),
    ]);
  }
  let secret: string;
  try {
    secret = await deps.secrets.get(deps.secretName);
  } catch (cause) {
    return {
      status: 500,
      body: { error: 'signing secret unavailable; retry later', diagnostics: [] },
      hints: [],
      diagnostics: [],
      cause,
    };
  }
  let check;
  try {
    check = verifyImmutaSignature(raw, lowerCaseHeaders(request.headers), secret, deps.encoding);
  } catch (cause) {
    return {
      status: 500,
      body: { error: 'notice verification failed on our side', diagnostics: [] },
      hints: [],
      diagnostics: [],
      cause,
    };
  }
  if (!check.ok) return refused(401, [diagnostic('VG701', check.summary)]);

  // Signed by Immuta but unreadable: still a sign that something changed, so refresh everything.
  const diagnostics: Diagnostic[] = [];
  let json: unknown;
  if (isUtf8(raw)) {
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      json = undefined;
    }
  }
  const hints = noticeHints(json);
  if (json === undefined || (hints.length === 1 && hints[0]!.kind === 'all')) {
    diagnostics.push(
      diagnostic(
        'VG702',
        hints[0]?.notificationType
          ? `notification type ${JSON.stringify(hints[0].notificationType)} is not one we map; a full refresh is queued`
          : 'the notice names no notification type we read; a full refresh is queued',
        [],
        'warning',
      ),
    );
  }
  if (hints.length > 0) {
    try {
      await deps.hints.send(hints);
    } catch (cause) {
      const d = [
        diagnostic(
          'VG704',
          'the hint queue did not take the notice; Immuta lists it in GET /webhooks/history, and the next ' +
            'reconcile covers it',
        ),
      ];
      return {
        status: 503,
        body: { error: 'notice not queued; retry later', diagnostics: d },
        hints,
        diagnostics: d,
        cause,
      };
    }
  }
  return { status: 202, body: { accepted: hints.length }, hints, diagnostics };
}
