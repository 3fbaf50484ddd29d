-- Each person's text size in the page, in percent of the normal size (kept per account, so
-- it follows them to another computer or phone).
ALTER TABLE users ADD COLUMN font_scale INTEGER NOT NULL DEFAULT 100;
