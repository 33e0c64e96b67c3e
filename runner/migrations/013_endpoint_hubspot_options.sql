-- HubSpot Forms v3 `context` ({pageUri, pageName}) and `legalConsentOptions` per endpoint, sent
-- with every submission of the hubspot format: forms that require consent refuse one without it.
-- Null: none set. A nullable column without a default: adding it rewrites nothing.
ALTER TABLE endpoints ADD COLUMN hubspot_options jsonb;
