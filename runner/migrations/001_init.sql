-- Lead delivery runner: sellers, keys, lead orders, endpoints, leads, deliveries and attempts.
-- Ids are prefixed, time-ordered text (sel_, key_, lo_, ep_, lead_, msg_, att_).

CREATE TABLE sellers (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  seller_id text NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
  -- sha256 hex of the key; the key itself is shown once and never stored.
  key_hash text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX api_keys_seller_idx ON api_keys (seller_id);

CREATE TABLE lead_orders (
  id text PRIMARY KEY,
  seller_id text NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_orders_seller_idx ON lead_orders (seller_id, created_at, id);

CREATE TABLE endpoints (
  id text PRIMARY KEY,
  seller_id text NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  url text NOT NULL,
  format text NOT NULL DEFAULT 'json' CHECK (format IN ('json', 'xml', 'form', 'hubspot')),
  type text NOT NULL DEFAULT 'new_leads' CHECK (type IN ('new_leads', 'lead_updates', 'both')),
  enabled boolean NOT NULL DEFAULT true,
  timeout_ms integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 1000 AND 30000),
  -- [{name, value}] with each value encrypted (AES-256-GCM, SECRETS_KEY).
  headers jsonb NOT NULL DEFAULT '[]',
  -- [{key, value}]
  constants jsonb NOT NULL DEFAULT '[]',
  -- [{field, output}], in order
  field_mappings jsonb NOT NULL DEFAULT '[]',
  -- empty = every lead order of the seller
  lead_order_ids text[] NOT NULL DEFAULT '{}',
  -- whsec_… secrets, encrypted
  signing_secret text NOT NULL,
  previous_signing_secret text,
  previous_secret_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX endpoints_seller_idx ON endpoints (seller_id, created_at, id);

CREATE TABLE leads (
  id text PRIMARY KEY,
  seller_id text NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
  lead_order_id text NOT NULL REFERENCES lead_orders (id) ON DELETE CASCADE,
  -- the lead's R1 fields, current
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_lead_order_idx ON leads (lead_order_id);
CREATE INDEX leads_seller_idx ON leads (seller_id);

-- One message: a lead event for one endpoint. lead_id has no foreign key so that a test message
-- (the catalogue's sample lead) can be a delivery too.
CREATE TABLE deliveries (
  id text PRIMARY KEY,
  seller_id text NOT NULL,
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  lead_id text NOT NULL,
  message_type text NOT NULL CHECK (message_type IN ('new_lead', 'lead_update')),
  test boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'sending', 'succeeded', 'failed', 'cancelled')),
  attempt_count integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  -- the lead as it was when the message was created: every retry sends the same content
  lead_snapshot jsonb NOT NULL,
  -- the exact body sent, set by the first attempt
  payload text,
  content_type text,
  last_error text,
  last_http_status integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_endpoint_lead_idx ON deliveries (endpoint_id, lead_id, created_at);
CREATE INDEX deliveries_status_next_idx ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_lead_idx ON deliveries (lead_id);

-- One HTTP try: the notification history (R6). delivery_id has no foreign key (see deliveries).
CREATE TABLE attempts (
  id text PRIMARY KEY,
  delivery_id text NOT NULL,
  seller_id text NOT NULL,
  endpoint_id text NOT NULL REFERENCES endpoints (id) ON DELETE CASCADE,
  lead_id text NOT NULL,
  message_type text NOT NULL CHECK (message_type IN ('new_lead', 'lead_update')),
  test boolean NOT NULL DEFAULT false,
  attempt integer NOT NULL,
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  status text NOT NULL CHECK (status IN ('success', 'failure')),
  http_status integer,
  error text,
  response_excerpt text,
  -- {name: value}, secrets redacted
  request_headers jsonb NOT NULL DEFAULT '{}'
);
-- History newest first with a keyset cursor over (started_at, id), with and without a status.
CREATE INDEX attempts_history_idx ON attempts (endpoint_id, started_at DESC, id DESC);
CREATE INDEX attempts_history_status_idx ON attempts (endpoint_id, status, started_at DESC, id DESC);
CREATE INDEX attempts_delivery_idx ON attempts (delivery_id);
