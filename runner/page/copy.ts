/** A "Copy" button for a text shown on the page (a payload, a secret). */
import { h } from './dom.js';

/**
 * Copies `text()` to the clipboard; where the page has no clipboard access (plain http, a
 * permission refused) it selects `shown` instead, for a manual copy.
 */
export function copyButton(
  text: () => string,
  shown: HTMLElement,
  label = 'Copy',
  ariaLabel?: string,
): HTMLButtonElement {
  const button = h(
    'button',
    { type: 'button', class: 'button button-small copy-button', 'aria-label': ariaLabel },
    label,
  );
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      button.textContent = 'Copied';
    } catch {
      const range = document.createRange();
      range.selectNodeContents(shown);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      button.textContent = 'Selected: press Ctrl+C';
    }
    setTimeout(() => {
      button.textContent = label;
    }, 2500);
  });
  return button;
}
