-- Alerts (issue 20): a seller's operational webhooks (circuit opened, delivery failed for good,
-- endpoint recovered) go to the alert URL the seller sets, signed (Standard Webhooks) with the
-- seller's own alert signing secret, sealed like every secret. Both null: no alerts.
-- Nullable columns without defaults: adding them rewrites nothing.
ALTER TABLE sellers ADD COLUMN alert_url text;
ALTER TABLE sellers ADD COLUMN alert_signing_secret text;
