import pg from 'pg';
const { purgeFinishedBatch, purgeOrphanAttemptsBatch } = await import('/work/main/runner/src/store/retention.ts');
const schema = process.argv[2];
const pool = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:5432/test', options: `-c search_path=${schema},public` });
const db = { query: async (t, v) => { const r = await pool.query(t, v); return { rows: r.rows, rowCount: r.rowCount }; } };
const olderThan = new Date(Date.now() - 30 * 86400000);
const batch = Number(process.argv[3] ?? 5000);
const mode = process.argv[4] ?? 'finished';
let total = { d: 0, a: 0, n: 0 }, times = [];
const t0 = Date.now();
for (;;) {
  const t = Date.now();
  if (mode === 'finished') {
    const r = await purgeFinishedBatch(db, olderThan, batch);
    times.push(Date.now() - t); total.d += r.deliveries; total.a += r.attempts; total.n++;
    if (r.deliveries < batch) break;
  } else {
    const r = await purgeOrphanAttemptsBatch(db, olderThan, batch);
    times.push(Date.now() - t); total.a += r; total.n++;
    if (r < batch) break;
  }
}
times.sort((a, b) => a - b);
console.log(mode, total, 'total ms', Date.now() - t0, 'batch ms p50', times[Math.floor(times.length / 2)], 'max', times.at(-1));
await pool.end();
