-- What was sent, for every attempt: the body (its first HISTORY_PAYLOAD_MAX_CHARS characters, see
-- store/attempts.ts) and its content type, with the body's whole length when it was cut, and the
-- failure's cause (core/classify.ts) so the history can show advice chosen by it. Nullable
-- columns without a default: adding them rewrites nothing. They go with their row under the
-- retention rules (store/retention.ts deletes whole attempt rows).
ALTER TABLE attempts ADD COLUMN payload text;
ALTER TABLE attempts ADD COLUMN content_type text;
ALTER TABLE attempts ADD COLUMN payload_length integer;
ALTER TABLE attempts ADD COLUMN cause text;

-- Attempt numbers run on across resends: a resend no longer resets attempt_count, it remembers
-- how many attempts came before it, and the retry schedule counts from there. A constant default
-- is stored in the catalogue, not written into every row.
ALTER TABLE deliveries ADD COLUMN attempts_before_resend integer NOT NULL DEFAULT 0;

-- History across all of a seller's webhooks, newest first with the same keyset cursor as the
-- per-endpoint history (attempts_history_idx), and its failures alone: failures are the few rows
-- a seller looks for, so a scan of every attempt filtered by status would read far too many.
CREATE INDEX attempts_seller_history_idx ON attempts (seller_id, started_at DESC, id DESC);
CREATE INDEX attempts_seller_failure_idx ON attempts (seller_id, started_at DESC, id DESC)
  WHERE status = 'failure';
-- Test attempts are rare among many real ones: the test filter reads these small partial
-- indexes instead of every attempt. Real attempts are skipped by their predicate on insert.
CREATE INDEX attempts_endpoint_test_idx ON attempts (endpoint_id, started_at DESC, id DESC)
  WHERE test;
CREATE INDEX attempts_seller_test_idx ON attempts (seller_id, started_at DESC, id DESC)
  WHERE test;
