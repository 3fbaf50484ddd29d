-- When a check-in's check-out counts (see the SQLite migration 0009_checkout_window.sql).
ALTER TABLE attendance ADD COLUMN checkout_from instant;
ALTER TABLE attendance ADD COLUMN checkout_until instant;
