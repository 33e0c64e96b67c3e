-- R4 ordering and supersession, and claim fencing.
--
-- A pending lead_update with a newer lead_update of the same lead for the same endpoint is never
-- sent: it becomes 'superseded' and names the delivery that carries the newer state.
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
  CHECK (status IN ('pending', 'sending', 'succeeded', 'failed', 'cancelled', 'superseded'));
ALTER TABLE deliveries ADD COLUMN superseded_by text;

-- The pg-boss attempt of the claiming job (its retryCount). A retry of the same job (its worker
-- died) takes a 'sending' delivery over with a higher attempt; the recorder of an older attempt
-- still writes its history row but no longer moves the delivery.
ALTER TABLE deliveries ADD COLUMN claim_attempt integer;

-- In-flight deliveries per endpoint (maxConcurrency), and an endpoint's open deliveries (held
-- deliveries released when its circuit closes, replay by status and time).
CREATE INDEX deliveries_endpoint_sending_idx ON deliveries (endpoint_id) WHERE status = 'sending';
CREATE INDEX deliveries_endpoint_status_idx ON deliveries (endpoint_id, status, created_at);

-- Backfill never creates a second new_lead of a lead for an endpoint (intake makes one at most).
CREATE UNIQUE INDEX deliveries_new_lead_once_idx ON deliveries (endpoint_id, lead_id)
  WHERE message_type = 'new_lead' AND NOT test;

-- Backfill reads a seller's leads by the time they were taken in.
CREATE INDEX leads_seller_created_idx ON leads (seller_id, created_at);
