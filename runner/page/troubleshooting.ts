/** The advice the runner chose for a failure (core/troubleshooting.ts), shown next to it. */
import type { Troubleshooting } from './api.js';
import { h } from './dom.js';

export function troubleshootingNotice(
  advice: Troubleshooting | null | undefined,
): HTMLElement | null {
  if (!advice) return null;
  return h(
    'div',
    { class: 'notice notice-info troubleshooting', 'data-issue': advice.issue },
    h(
      'p',
      { class: 'troubleshooting-title' },
      h('strong', null, `Troubleshooting: ${advice.title}`),
    ),
    h('p', null, advice.solution),
  );
}
