/** The `lead-delivery` CLI: commands, --help, and configuration errors that name the variable. */
import { main } from '../src/cli';

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
