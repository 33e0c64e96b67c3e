/**
 * Bulk replay of a webhook's failed deliveries of a time range: the dialog counts them first (the
 * API's dry run) and says how many will go out before the seller confirms.
 */
import { api, type Endpoint } from './api.js';
import { openDialog } from './dialog.js';
import { browserTimeZone, h, isoToLocalInput, localInputToIso, replaceChildren } from './dom.js';
import { field } from './fields.js';
import { errorMessage, type ViewContext } from './view.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export function openReplay(ctx: ViewContext, endpoint: Endpoint, onReplayed: () => void): void {
  const now = new Date();
  const from = h('input', {
    class: 'input',
    type: 'datetime-local',
    value: isoToLocalInput(new Date(now.getTime() - DAY_MS)),
  });
  // A minute on: the input has no seconds, and the deliveries that failed this minute count too.
  const to = h('input', {
    class: 'input',
    type: 'datetime-local',
    value: isoToLocalInput(new Date(now.getTime() + 60_000)),
  });
  const countLine = h('p', { class: 'replay-count', role: 'status', 'aria-live': 'polite' });
  const cancel = h('button', { type: 'button', class: 'button' }, 'Cancel');
  const confirm = h(
    'button',
    { type: 'submit', class: 'button button-primary', disabled: true },
    'Replay',
  );
  let counted: { from: string; to: string; count: number } | null = null;
  let generation = 0;

  const range = () => ({ from: localInputToIso(from.value), to: localInputToIso(to.value) });

  async function count(): Promise<void> {
    generation += 1;
    const mine = generation;
    counted = null;
    confirm.disabled = true;
    confirm.textContent = 'Replay';
    const { from: fromIso, to: toIso } = range();
    if (fromIso === '' || toIso === '') {
      countLine.textContent = 'Choose when the deliveries were created: from and to.';
      return;
    }
    countLine.textContent = 'Counting…';
    try {
      const { count: found } = await api.replayCount(endpoint.id, { from: fromIso, to: toIso });
      if (mine !== generation) return;
      counted = { from: fromIso, to: toIso, count: found };
      countLine.textContent =
        found === 0
          ? 'No failed deliveries in this range.'
          : `${found} failed ${found === 1 ? 'delivery' : 'deliveries'} will be sent again.`;
      confirm.disabled = found === 0;
      confirm.textContent =
        found === 0 ? 'Replay' : `Replay ${found} ${found === 1 ? 'delivery' : 'deliveries'}`;
    } catch (error) {
      if (mine !== generation) return;
      countLine.textContent = `Could not count: ${errorMessage(error)}`;
    }
  }

  const form = h(
    'form',
    { class: 'confirm-form', novalidate: true },
    h(
      'div',
      { class: 'dialog-body' },
      h(
        'p',
        null,
        'Failed deliveries created in this range go out again, each with its retry schedule restarted and keeping its webhook-id, so your system can tell a message it already has.',
      ),
      h(
        'div',
        { class: 'field-row' },
        field({ label: 'From', control: from, hint: `Your time zone (${browserTimeZone()})` }),
        field({ label: 'To', control: to }),
      ),
      countLine,
    ),
    h('div', { class: 'dialog-footer' }, cancel, confirm),
  );
  const dialog = openDialog({
    title: 'Replay failed deliveries',
    description: endpoint.name,
    content: form,
  });
  cancel.addEventListener('click', () => dialog.close());
  from.addEventListener('change', () => void count());
  to.addEventListener('change', () => void count());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!counted || counted.count === 0) return;
    confirm.disabled = true;
    confirm.textContent = 'Replaying…';
    try {
      const { count: queued } = await api.replay(endpoint.id, {
        from: counted.from,
        to: counted.to,
      });
      dialog.close();
      ctx.toast(`${queued} ${queued === 1 ? 'delivery' : 'deliveries'} queued again`);
      onReplayed();
    } catch (error) {
      replaceChildren(countLine, `Not replayed: ${errorMessage(error)}`);
      confirm.disabled = false;
    }
  });
  void count();
}
