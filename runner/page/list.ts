/** The webhook list: every endpoint with its last delivery, "+ Add a webhook", "Details". */
import { openAddWebhook } from './add.js';
import { alertsSection } from './alerts.js';
import { api, type Endpoint } from './api.js';
import { h, replaceChildren } from './dom.js';
import { FORMAT_SHORT, TYPE_SHORT } from './labels.js';
import {
  circuitBadge,
  detailsPath,
  enabledBadge,
  errorPanel,
  heading,
  lastDeliveryCell,
  loading,
  type ViewContext,
} from './view.js';

function cell(label: string, ...content: Array<Node | string | null>): HTMLTableCellElement {
  return h('td', { 'data-label': label }, ...content);
}

function webhookRow(endpoint: Endpoint): HTMLTableRowElement {
  const path = detailsPath(endpoint.id);
  return h(
    'tr',
    null,
    h(
      'th',
      { scope: 'row', 'data-label': 'Name' },
      h('a', { href: path, 'data-link': '', class: 'row-title' }, endpoint.name),
    ),
    cell('URL', h('span', { class: 'url mono', title: endpoint.url }, endpoint.url)),
    cell('Format', FORMAT_SHORT[endpoint.format]),
    cell('Type', TYPE_SHORT[endpoint.type]),
    cell('Enabled', enabledBadge(endpoint.enabled), circuitBadge(endpoint.circuit)),
    cell('Last delivery', lastDeliveryCell(endpoint.lastDelivery)),
    h(
      'td',
      { class: 'actions-cell' },
      h(
        'a',
        {
          href: path,
          'data-link': '',
          class: 'button button-small',
          'aria-label': `Details of ${endpoint.name}`,
        },
        'Details',
      ),
    ),
  );
}

function webhookTable(endpoints: readonly Endpoint[]): HTMLElement {
  const columns = ['Name', 'URL', 'Format', 'Type', 'Enabled', 'Last delivery'];
  return h(
    'table',
    { class: 'table responsive-table webhooks-table' },
    h('caption', { class: 'visually-hidden' }, 'Your webhooks'),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        columns.map((c) => h('th', { scope: 'col' }, c)),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
      ),
    ),
    h('tbody', null, endpoints.map(webhookRow)),
  );
}

export async function renderList(ctx: ViewContext): Promise<void> {
  ctx.setTitle('Webhooks');
  const title = heading('Notifications & Integrations');
  const body = h('div', { class: 'card card-flush' }, loading('Loading your webhooks…'));
  const load = async () => {
    try {
      const endpoints = await api.endpoints();
      if (!ctx.current()) return;
      replaceChildren(
        body,
        endpoints.length === 0
          ? h(
              'div',
              { class: 'empty-state' },
              h('h3', null, 'No webhooks yet'),
              h(
                'p',
                null,
                'Add a webhook to receive your leads in real time, in JSON, XML, form or HubSpot format.',
              ),
            )
          : h('div', { class: 'table-wrap' }, webhookTable(endpoints)),
      );
    } catch (error) {
      if (ctx.current())
        replaceChildren(
          body,
          errorPanel(error, () => void load()),
        );
    }
  };
  const add = h(
    'button',
    {
      type: 'button',
      class: 'button button-primary',
      onclick: () =>
        void openAddWebhook(ctx, () => {
          void load();
        }),
    },
    '+ Add a webhook',
  );
  replaceChildren(
    ctx.main,
    h(
      'div',
      { class: 'page-head' },
      h(
        'div',
        null,
        title,
        h(
          'p',
          { class: 'lede' },
          'Webhooks deliver each lead to your systems the moment it is assigned to you.',
        ),
      ),
      h('div', { class: 'page-actions' }, add),
    ),
    h(
      'section',
      { 'aria-labelledby': 'webhooks-title' },
      h('h2', { id: 'webhooks-title', class: 'section-title' }, 'Webhooks'),
      body,
      h(
        'p',
        { class: 'section-link' },
        h(
          'a',
          { href: '/delivery/history', 'data-link': '' },
          'Delivery history of all webhooks →',
        ),
      ),
    ),
    alertsSection(ctx),
  );
  if (ctx.focusHeading) title.focus();
  await load();
}
