-- Names that explain themselves (issue 19). Renames only: catalog changes, no row is rewritten.
--
-- endpoint_flow -> endpoint_pacing: the row holds the endpoint's circuit breaker and its rate
-- limit's token bucket, i.e. how fast the runner may send to it; "flow" means an n8n workflow
-- everywhere else in this project.
ALTER TABLE endpoint_flow RENAME TO endpoint_pacing;
ALTER TABLE endpoint_pacing RENAME CONSTRAINT endpoint_flow_pkey TO endpoint_pacing_pkey;
ALTER TABLE endpoint_pacing RENAME CONSTRAINT endpoint_flow_endpoint_id_fkey
  TO endpoint_pacing_endpoint_id_fkey;
ALTER TABLE endpoint_pacing RENAME CONSTRAINT endpoint_flow_circuit_state_check
  TO endpoint_pacing_circuit_state_check;

-- "attempt" keeps one meaning: one send of a delivery to its receiver (a history row).
-- deliveries.claim_attempt held pg-boss's retryCount of the job that claimed the delivery: which
-- run of that job holds the claim, so it is the claim's job run.
ALTER TABLE deliveries RENAME COLUMN claim_attempt TO claim_job_run;
-- attempts.attempt is the attempt's number within its delivery (1, 2, ...); the API and the page
-- still call it "attempt".
ALTER TABLE attempts RENAME COLUMN attempt TO attempt_number;
