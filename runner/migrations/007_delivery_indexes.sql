-- Every delivery is updated twice (claimed, then settled) and each update writes a new entry into
-- every index of the table (status is indexed, so no update is a HOT one). Three indexes that no
-- statement needs go: (status, next_attempt_at) and (lead_id) are read by no query (due
-- deliveries are found per endpoint, a lead's deliveries per endpoint and lead through
-- deliveries_endpoint_lead_idx), and the sending deliveries of an endpoint (maxConcurrency) are a
-- range of deliveries_endpoint_status_idx (endpoint_id, status, created_at).
DROP INDEX IF EXISTS deliveries_status_next_idx;
DROP INDEX IF EXISTS deliveries_lead_idx;
DROP INDEX IF EXISTS deliveries_endpoint_sending_idx;
