/**
 * The seed's "Common Issues & Solutions" as advice next to a failed attempt or test, chosen by why
 * it failed (its cause, core/classify.ts, and its HTTP status). The one mapping from a failure to
 * advice: the runner's API puts it on every failed attempt and test result, and the page shows it.
 */
export type TroubleshootingIssue =
  'connection' | 'authentication' | 'field_mapping' | 'timeout' | 'http_error';

export interface Troubleshooting {
  issue: TroubleshootingIssue;
  /** The issue's name, as the seed's table words it. */
  title: string;
  /** What to do about it. */
  solution: string;
}

const ADVICE: Record<TroubleshootingIssue, Omit<Troubleshooting, 'issue'>> = {
  connection: {
    title: 'Connection issues',
    solution:
      'Ensure your webhook URL is publicly accessible, and verify there are no firewalls blocking incoming connections.',
  },
  authentication: {
    title: 'Authentication errors',
    solution:
      'Verify that authentication tokens or API keys are correctly formatted in your headers.',
  },
  field_mapping: {
    title: 'Field mapping errors',
    solution:
      'Ensure field names exactly match what your external system expects, and check for typos.',
  },
  timeout: {
    title: 'Timeouts',
    solution: 'Optimize your endpoint to respond quickly, and implement asynchronous processing.',
  },
  http_error: {
    title: 'HTTP error codes',
    solution:
      'Check the error message and the response from your endpoint in the notification history for specific guidance.',
  },
};

const CONNECTION_CAUSES: ReadonlySet<string> = new Set([
  'dns',
  'connect',
  'tls',
  'network',
  'blocked',
]);

function issueOf(cause: string | null, httpStatus: number | null): TroubleshootingIssue | null {
  if (httpStatus === 401 || httpStatus === 403) return 'authentication';
  if (cause === 'timeout' || httpStatus === 408 || httpStatus === 504) return 'timeout';
  if (cause !== null && CONNECTION_CAUSES.has(cause)) return 'connection';
  // The receiver refused this lead's payload (400, 409, 413, 422), or the workflow could not
  // map or format it: the field names or values are what to look at.
  if (cause === 'rejected' || cause === 'workflow') return 'field_mapping';
  if (httpStatus === 400 || httpStatus === 422) return 'field_mapping';
  if (httpStatus !== null && httpStatus >= 300) return 'http_error';
  if (cause !== null && cause.startsWith('http_')) return 'http_error';
  return null;
}

/** Advice for a failure; null for a success or a failure none of the issues fits. */
export function troubleshootingFor(failure: {
  success: boolean;
  cause: string | null;
  httpStatus: number | null;
}): Troubleshooting | null {
  if (failure.success) return null;
  const issue = issueOf(failure.cause, failure.httpStatus);
  return issue === null ? null : { issue, ...ADVICE[issue] };
}
