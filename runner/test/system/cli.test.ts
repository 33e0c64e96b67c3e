/** The `lead-delivery` CLI: commands, --help, and configuration errors that name the variable. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../src/cli';
import { SETTINGS, type SettingDeclaration } from '../../src/settings';

function capture(stream: 'stdout' | 'stderr') {
  const chunks: string[] = [];
  const spy = jest.spyOn(process[stream], 'write').mockImplementation((chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  });
  return { text: () => chunks.join(''), restore: () => spy.mockRestore() };
}

test.each(['start', 'api', 'worker', 'migrate'])(
  'lead-delivery %s --help describes the command',
  async (command) => {
    const out = capture('stdout');
    try {
      expect(await main([command, '--help'])).toBe(0);
    } finally {
      out.restore();
    }
    expect(out.text()).toContain(`Usage: lead-delivery ${command}`);
    expect(out.text()).toContain('DATABASE_URL');
    expect(out.text()).toContain('RETRY_SCHEDULE');
  },
);

test('lead-delivery --help lists every command', async () => {
  const out = capture('stdout');
  try {
    expect(await main(['--help'])).toBe(0);
  } finally {
    out.restore();
  }
  for (const command of ['start', 'api', 'worker', 'migrate'])
    expect(out.text()).toContain(`  ${command}`);
});

test('an unknown command exits 2 with the usage', async () => {
  const err = capture('stderr');
  try {
    expect(await main(['deliver'])).toBe(2);
  } finally {
    err.restore();
  }
  expect(err.text()).toContain('unknown command "deliver"');
});

test('a bad environment exits 2 naming the variable', async () => {
  const err = capture('stderr');
  const saved = process.env.RETRY_SCHEDULE;
  process.env.RETRY_SCHEDULE = 'soon';
  try {
    expect(await main(['migrate'])).toBe(2);
  } finally {
    if (saved === undefined) delete process.env.RETRY_SCHEDULE;
    else process.env.RETRY_SCHEDULE = saved;
    err.restore();
  }
  expect(err.text()).toContain('RETRY_SCHEDULE');
});

describe('settings are declared once (settings.ts)', () => {
  const readme = readFileSync(path.join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

  /** The rows of the README's table under "### Settings", cells trimmed. */
  function readmeRows(): string[][] {
    const section = readme.split('\n### Settings\n')[1];
    if (!section) throw new Error('README.md has no "### Settings" section');
    const lines = section.split('\n');
    const start = lines.findIndex((line) => line.startsWith('|'));
    const table: string[] = [];
    for (const line of lines.slice(start)) {
      if (!line.startsWith('|')) break;
      table.push(line);
    }
    return table.slice(2).map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
  }

  function declaredRows(): string[][] {
    return Object.entries(SETTINGS).map(
      ([name, setting]: [string, SettingDeclaration<unknown>]) => [
        `\`${name}\``,
        setting.type,
        setting.default === undefined ? '—' : `\`${setting.default}\``,
        setting.description,
      ],
    );
  }

  test("the README's settings table is the declaration", () => {
    const expected = declaredRows();
    const table = [
      '| Setting | Type | Default | Description |',
      '| --- | --- | --- | --- |',
      ...expected.map((row) => `| ${row.join(' | ')} |`),
    ].join('\n');
    // On a difference, paste `table` under "### Settings" and run `npm run format`.
    expect({ rows: readmeRows(), table }).toEqual({ rows: expected, table });
  });

  test('lead-delivery --help lists every setting with its type and default', async () => {
    const out = capture('stdout');
    try {
      expect(await main(['--help'])).toBe(0);
    } finally {
      out.restore();
    }
    const help = out.text().replace(/\n {3,}/g, ' ');
    for (const [name, setting] of Object.entries(SETTINGS) as Array<
      [string, SettingDeclaration<unknown>]
    >) {
      const facts = [
        setting.type,
        ...(setting.default === undefined ? [] : [`default ${setting.default}`]),
      ];
      expect(help).toContain(`  ${name} `);
      expect(help).toContain(`${setting.description} (${facts.join('; ')})`);
    }
    for (const line of out.text().split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  test('tuning chosen by the benchmark is no setting', () => {
    for (const name of [
      'WORKER_BATCH_SIZE',
      'HEAP_GROWING_PERCENT',
      'RETENTION_BATCH_SIZE',
      'RETENTION_INTERVAL',
    ])
      expect(Object.keys(SETTINGS)).not.toContain(name);
  });
});
