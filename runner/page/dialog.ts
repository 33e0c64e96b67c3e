/**
 * Modal dialogs on the native <dialog> (showModal: the rest of the page is inert, Esc cancels),
 * labelled by their title, with Tab and Shift+Tab kept inside, and focus given back to the
 * element that opened them.
 */
import { focusables, h, uid } from './dom.js';

export interface DialogOptions {
  title: string;
  description?: string;
  /** The dialog's body and footer, usually one <form>. */
  content: HTMLElement;
  size?: 'medium' | 'large';
  /** Focused on open; default: the first focusable element of the content. */
  initialFocus?: HTMLElement;
  onClose?: () => void;
}

export interface DialogHandle {
  element: HTMLDialogElement;
  close(): void;
  /** Swaps the content (e.g. a form for its success message). */
  setContent(content: HTMLElement, focus?: HTMLElement): void;
}

export function openDialog(options: DialogOptions): DialogHandle {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = uid('dialog-title');
  const descriptionId = options.description ? uid('dialog-description') : undefined;
  const closeButton = h(
    'button',
    { type: 'button', class: 'icon-button dialog-close', 'aria-label': 'Close' },
    '×',
  );
  const slot = h('div', { class: 'dialog-content' }, options.content);
  const element = h(
    'dialog',
    {
      class: `dialog dialog-${options.size ?? 'medium'}`,
      'aria-labelledby': titleId,
      'aria-describedby': descriptionId,
    },
    h(
      'div',
      { class: 'dialog-header' },
      h(
        'div',
        null,
        h('h2', { id: titleId, class: 'dialog-title' }, options.title),
        options.description
          ? h('p', { id: descriptionId, class: 'dialog-description' }, options.description)
          : null,
      ),
      closeButton,
    ),
    slot,
  );

  const close = () => {
    if (element.open) element.close();
  };
  closeButton.addEventListener('click', close);
  element.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const items = focusables(element);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !element.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !element.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  });
  // A click on the backdrop (the dialog element itself, outside its box) does not close: a
  // half-filled form is not lost to a stray click. Esc and the buttons close.
  element.addEventListener('close', () => {
    element.remove();
    document.body.classList.remove('modal-open');
    options.onClose?.();
    if (opener && opener.isConnected) opener.focus();
  });

  document.body.append(element);
  document.body.classList.add('modal-open');
  element.showModal();
  const focusFirst = (preferred?: HTMLElement) => {
    const target =
      preferred ?? focusables(slot).find((el) => !el.classList.contains('dialog-close'));
    (target ?? closeButton).focus();
  };
  focusFirst(options.initialFocus);

  return {
    element,
    close,
    setContent(content, focus) {
      slot.replaceChildren(content);
      focusFirst(focus);
    },
  };
}
