/** "Delivery history": the attempts of every webhook of the seller, newest first, filtered. */
import { api, type Endpoint } from './api.js';
import { h, replaceChildren } from './dom.js';
import { historyPanel } from './history.js';
import { breadcrumb, heading, type ViewContext } from './view.js';

export async function renderAllHistory(ctx: ViewContext): Promise<void> {
  ctx.setTitle('Delivery history');
  const title = heading('Delivery history');
  // The webhooks' names, to say which webhook each attempt went to; ids stand in without them.
  const endpoints: Endpoint[] = await api.endpoints().catch(() => []);
  if (!ctx.current()) return;
  const panel = historyPanel(ctx, { endpoints });
  replaceChildren(
    ctx.main,
    breadcrumb('Delivery history'),
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        null,
        title,
        h('p', { class: 'lede' }, 'Every delivery attempt to all of your webhooks, newest first.'),
      ),
    ),
    panel.element,
  );
  if (ctx.focusHeading) title.focus();
}
