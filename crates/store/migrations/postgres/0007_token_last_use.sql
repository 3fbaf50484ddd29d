-- See the SQLite migration 0011_token_last_use.sql.
ALTER TABLE api_tokens ADD COLUMN last_used_at instant;
