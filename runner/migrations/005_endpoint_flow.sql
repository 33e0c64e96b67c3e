-- Per-endpoint limits (settings) and flow state (circuit breaker, rate-limit bucket).
ALTER TABLE endpoints ADD COLUMN max_concurrency integer
  CHECK (max_concurrency IS NULL OR max_concurrency BETWEEN 1 AND 1000);
ALTER TABLE endpoints ADD COLUMN rate_limit_per_second double precision
  CHECK (rate_limit_per_second IS NULL OR (rate_limit_per_second >= 0.01 AND rate_limit_per_second <= 10000));

-- One row per endpoint that has ever failed or is rate limited; no row = closed, full bucket.
CREATE TABLE endpoint_flow (
  endpoint_id text PRIMARY KEY REFERENCES endpoints (id) ON DELETE CASCADE,
  circuit_state text NOT NULL DEFAULT 'closed' CHECK (circuit_state IN ('closed', 'open', 'half_open')),
  consecutive_failures integer NOT NULL DEFAULT 0,
  -- dns | connect | tls | timeout | http_3xx | http_4xx | http_5xx | network (core classify)
  last_cause text,
  last_error text,
  opened_at timestamptz,
  next_probe_at timestamptz,
  -- failed probes in a row: the cool-down doubles with each
  reopen_count integer NOT NULL DEFAULT 0,
  probe_delivery_id text,
  -- token bucket of rate_limit_per_second
  tokens double precision,
  tokens_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
