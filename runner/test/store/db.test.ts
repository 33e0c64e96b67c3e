/** The Db layer (pg Pool and PGlite) and the migrations. */
import { withArrayLiterals } from '../../src/db/arrayParameters.js';
import { createPgliteDb } from '../../src/db/pglite.js';
import { createPostgresDb, POOL_IDLE_TIMEOUT_MS, type PostgresDb } from '../../src/db/postgres.js';
import { createQueue } from '../../src/queue.js';
import {
  MAX_NAMED_STATEMENTS,
  namedStatementCount,
  statementName,
} from '../../src/db/preparedStatements.js';
import { loadMigrations, migrate } from '../../src/db/migrate.js';
import type { Db } from '../../src/db/types.js';
import { createTestDb, testServerUrl, uniqueSchemaName, type TestDb } from '../helpers/db.js';

const TABLES = [
  'sellers',
  'api_keys',
  'lead_orders',
  'endpoints',
  'leads',
  'deliveries',
  'attempts',
];

async function tables(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
     ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name);
}

function behavesLikeADb(name: string, open: () => Promise<TestDb>) {
  describe(name, () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await open();
      await t.db.query('CREATE TABLE things (id int PRIMARY KEY, note text)');
    });
    afterAll(() => t.drop());
    beforeEach(() => t.db.query('DELETE FROM things'));

    test('migrations create every table and record their versions', async () => {
      expect(await tables(t.db)).toEqual(expect.arrayContaining([...TABLES, 'schema_migrations']));
      const { rows } = await t.db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
    });

    test('migrating again applies nothing', async () => {
      expect(await migrate(t.db)).toEqual([]);
    });

    test('query returns rows and rowCount', async () => {
      const inserted = await t.db.query('INSERT INTO things VALUES ($1, $2), ($3, $4)', [
        1,
        'a',
        2,
        'b',
      ]);
      expect(inserted.rowCount).toBe(2);
      const { rows, rowCount } = await t.db.query<{ id: number; note: string }>(
        'SELECT id, note FROM things ORDER BY id',
      );
      expect(rows).toEqual([
        { id: 1, note: 'a' },
        { id: 2, note: 'b' },
      ]);
      expect(rowCount).toBe(2);
    });

    test('a transaction commits, and afterCommit runs after COMMIT', async () => {
      const seen: number[] = [];
      await t.db.transaction(async (tx) => {
        expect(tx.inTransaction).toBe(true);
        await tx.query('INSERT INTO things VALUES (1, $1)', ['x']);
        tx.afterCommit(() => seen.push(1));
        expect(seen).toEqual([]);
      });
      expect(seen).toEqual([1]);
      expect((await t.db.query('SELECT * FROM things')).rowCount).toBe(1);
    });

    test('a throwing transaction rolls back and skips afterCommit', async () => {
      const seen: number[] = [];
      await expect(
        t.db.transaction(async (tx) => {
          await tx.query('INSERT INTO things VALUES (1, $1)', ['x']);
          tx.afterCommit(() => seen.push(1));
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(seen).toEqual([]);
      expect((await t.db.query('SELECT * FROM things')).rowCount).toBe(0);
    });

    test('a failing statement rolls the transaction back and the Db stays usable', async () => {
      await expect(
        t.db.transaction(async (tx) => {
          await tx.query('INSERT INTO things VALUES (1, $1)', ['x']);
          await tx.query('INSERT INTO things VALUES (1, $1)', ['duplicate']);
        }),
      ).rejects.toMatchObject({ code: '23505' });
      expect((await t.db.query('SELECT * FROM things')).rowCount).toBe(0);
      await t.db.query('INSERT INTO things VALUES (3, $1)', ['after']);
    });

    test('a nested transaction is a savepoint', async () => {
      await t.db.transaction(async (tx) => {
        await tx.query('INSERT INTO things VALUES (1, $1)', ['outer']);
        await expect(
          tx.transaction(async (inner) => {
            await inner.query('INSERT INTO things VALUES (2, $1)', ['inner']);
            throw new Error('inner fails');
          }),
        ).rejects.toThrow('inner fails');
      });
      const { rows } = await t.db.query<{ id: number }>('SELECT id FROM things');
      expect(rows.map((r) => r.id)).toEqual([1]);
    });

    test('executeSql runs multi-statement text without values (pg-boss contract)', async () => {
      const result = await t.db.executeSql('INSERT INTO things VALUES (7, $1) RETURNING id', ['x']);
      expect(result.rows).toEqual([{ id: 7 }]);
      const multi = await t.db.executeSql(
        "INSERT INTO things VALUES (8, 'y'); SELECT count(*)::int AS n FROM things",
      );
      expect(multi.rows).toEqual([{ n: 2 }]);
    });

    test('array parameters arrive element for element, hostile strings included', async () => {
      const texts = [
        'plain',
        '',
        'NULL',
        'a,b',
        '{x}',
        'say "hi"',
        'back\\slash',
        ' padded ',
        'ünï😀',
      ];
      const { rows } = await t.db.query<{ texts: string[]; ints: number[]; sparse: unknown[] }>(
        'SELECT $1::text[] AS texts, $2::int[] AS ints, $3::text[] AS sparse',
        [texts, [3, -1, 0], ['a', null, 'c']],
      );
      expect(rows[0]).toEqual({ texts, ints: [3, -1, 0], sparse: ['a', null, 'c'] });
      const empty = await t.db.query<{ n: number }>('SELECT cardinality($1::text[])::int AS n', [
        [],
      ]);
      expect(empty.rows[0].n).toBe(0);
    });

    test('statements from outside a running transaction wait for it (no interleaving)', async () => {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const tx = t.db.transaction(async (inner) => {
        await inner.query('INSERT INTO things VALUES (1, $1)', ['in tx']);
        await gate;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const outside = t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM things');
      await new Promise((resolve) => setTimeout(resolve, 50));
      release();
      await tx;
      // PostgreSQL: another connection sees 0 or 1 depending on timing, never an error.
      // PGlite: the outside query waited for COMMIT, so it sees the row.
      const { rows } = await outside;
      if (t.kind === 'pglite') expect(rows[0].n).toBe(1);
      else expect([0, 1]).toContain(rows[0].n);
    });
  });
}

behavesLikeADb('the test database (PostgreSQL when available)', () => createTestDb());
behavesLikeADb('PGlite', async () => {
  const schema = uniqueSchemaName();
  const db = await createPgliteDb({ schema });
  await migrate(db);
  return { db, kind: 'pglite', schema, bossSchema: `${schema}_boss`, drop: () => db.close() };
});

describe('array literals for node-postgres', () => {
  test('strings, numbers and nulls become one literal; anything else is left alone', () => {
    const date = new Date(0);
    const values = [['a"b', 'c\\d', null], [1, 2.5], 'text', [date], [[1], [2]], [{ a: 1 }], 7];
    const converted = withArrayLiterals(values)!;
    expect(converted.slice(0, 2)).toEqual(['{"a\\"b","c\\\\d",NULL}', '{"1","2.5"}']);
    expect(converted.slice(2)).toEqual(values.slice(2));
    expect(converted[3]).toBe(values[3]);
    expect(values[0]).toEqual(['a"b', 'c\\d', null]); // the caller's array is not touched
    const untouched = ['x', 1];
    expect(withArrayLiterals(untouched)).toBe(untouched);
    expect(withArrayLiterals(undefined)).toBeUndefined();
  });
});

describe('migrations on PostgreSQL', () => {
  test('two processes migrating the same schema at once apply each migration once', async () => {
    const url = await testServerUrl();
    if (!url) return; // PGlite is one process: nothing to race.
    const schema = uniqueSchemaName('mig');
    const a = await createPostgresDb({ connectionString: url, schema });
    const b = await createPostgresDb({ connectionString: url, schema });
    try {
      const [appliedA, appliedB] = await Promise.all([migrate(a), migrate(b)]);
      const all = [...appliedA, ...appliedB].sort((x, y) => x - y);
      expect(all).toEqual(loadMigrations().map((m) => m.version));
      expect(await tables(a)).toEqual(expect.arrayContaining(TABLES));
    } finally {
      await a.close();
      await b.query(`DROP SCHEMA ${schema} CASCADE`);
      await b.close();
    }
  });
});

describe('prepared statements on PostgreSQL', () => {
  let db: PostgresDb | undefined;
  let schema = '';
  beforeAll(async () => {
    const url = await testServerUrl();
    if (!url) return; // PGlite has no wire protocol: nothing is prepared.
    schema = uniqueSchemaName('prep');
    db = await createPostgresDb({ connectionString: url, schema, max: 1 });
    await db.query('CREATE TABLE notes (id int PRIMARY KEY, body text)');
  });
  afterAll(async () => {
    if (!db) return;
    await db.query(`DROP SCHEMA ${schema} CASCADE`);
    await db.close();
  });

  const preparedTexts = async (connection: PostgresDb): Promise<string[]> => {
    const { rows } = await connection.query<{ statement: string }>(
      'SELECT statement FROM pg_prepared_statements ORDER BY statement',
    );
    return rows.map((row) => row.statement);
  };

  test('a text with values is prepared once per connection and keeps its name', async () => {
    if (!db) return;
    const insert = 'INSERT INTO notes (id, body) VALUES ($1, $2)';
    await db.query(insert, [1, 'a']);
    await db.query(insert, [2, 'b']);
    const name = statementName(insert);
    expect(name).toMatch(/^ld_\d+$/);
    expect(statementName(insert)).toBe(name);
    expect(await preparedTexts(db)).toEqual(expect.arrayContaining([insert]));
    const { rows } = await db.query<{ body: string }>('SELECT body FROM notes WHERE id = $1', [2]);
    expect(rows).toEqual([{ body: 'b' }]);
  });

  test("pooled connections (the runner's and pg-boss's) stay open between sparse leads", async () => {
    if (!db) return;
    expect(db.pool.options.idleTimeoutMillis).toBe(POOL_IDLE_TIMEOUT_MS);
    expect(POOL_IDLE_TIMEOUT_MS).toBeGreaterThanOrEqual(60_000);
    // Not started: pg-boss builds its pool from its options on first use, never connecting here.
    const queue = await createQueue({ db, schema: `${schema}_boss` });
    const bossDb = queue.boss.getDb() as unknown as { config: { idleTimeoutMillis?: number } };
    expect(bossDb.config.idleTimeoutMillis).toBe(POOL_IDLE_TIMEOUT_MS);
  });

  test('a text without values is not prepared (it may hold several statements)', async () => {
    if (!db) return;
    const single = 'SELECT count(*)::int AS n FROM notes WHERE id > 0';
    const multi = 'UPDATE notes SET body = body; SELECT 1 AS one';
    expect((await db.executeSql(single, [])).rows).toEqual([{ n: expect.any(Number) }]);
    expect((await db.executeSql(multi, [])).rows).toEqual([{ one: 1 }]);
    expect((await db.executeSql(multi)).rows).toEqual([{ one: 1 }]);
    const prepared = await preparedTexts(db);
    expect(prepared).not.toContain(single);
    expect(prepared).not.toContain(multi);
  });

  test('a named statement that fails leaves the connection and the name usable', async () => {
    if (!db) return;
    const insert = 'INSERT INTO notes (id, body) VALUES ($1, $2) RETURNING id';
    await db.query(insert, [10, 'x']);
    await expect(db.query(insert, [10, 'again'])).rejects.toMatchObject({ code: '23505' });
    const broken = 'SELECT no_such_column FROM notes WHERE id = $1';
    await expect(db.query(broken, [1])).rejects.toMatchObject({ code: '42703' });
    await expect(db.query(broken, [1])).rejects.toMatchObject({ code: '42703' });
    expect((await db.query(insert, [11, 'y'])).rows).toEqual([{ id: 11 }]);
  });

  test('the set of named texts is bounded', () => {
    const before = namedStatementCount();
    for (let i = 0; i < MAX_NAMED_STATEMENTS + 10; i++) statementName(`SELECT ${i} + $1`);
    expect(namedStatementCount()).toBe(MAX_NAMED_STATEMENTS);
    expect(namedStatementCount()).toBeGreaterThanOrEqual(before);
    expect(statementName('SELECT a text seen only after the set filled up, $1')).toBeUndefined();
  });
});
