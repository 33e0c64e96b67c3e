-- What the history shows is not always what was sent or received as it was: text PostgreSQL
-- cannot store (NUL characters, lone surrogates, bytes that are not UTF-8) is replaced by U+FFFD,
-- and an outcome that still could not be stored is recorded without its excerpt, headers and
-- payload. The notice says so, in words; null when the attempt is shown as it was.
-- A nullable column without a default: adding it rewrites nothing.
ALTER TABLE attempts ADD COLUMN notice text;
