-- When a token was last used (to the five minutes), shown to admins managing tokens.
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
