-- Retention (RETENTION_DAYS): a finished delivery is deleted, with its attempts, once it has been
-- finished for the retention period. The purge takes the oldest first, a batch at a time, from
-- this partial index: it holds finished rows only (a delivery enters it when it finishes), in the
-- order they finished (updated_at), so a batch reads only rows it deletes however large the table.
-- The status list must stay written exactly as the purge writes it (store/retention.ts) for the
-- planner to match the index's predicate.
CREATE INDEX deliveries_finished_idx ON deliveries (updated_at)
  WHERE status IN ('succeeded', 'failed', 'cancelled', 'superseded');
