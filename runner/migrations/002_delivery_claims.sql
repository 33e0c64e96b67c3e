-- The queue job that claimed a delivery for sending. pg-boss retries a job whose worker died
-- under the same id, so that retry (and only it) may take over a delivery left in 'sending'.
ALTER TABLE deliveries ADD COLUMN claim_job_id text;
