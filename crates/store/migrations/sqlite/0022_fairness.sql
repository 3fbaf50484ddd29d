-- A centre's fairness and spread settings for its rosters (issue 25), as JSON; NULL reads
-- as the defaults.
ALTER TABLE centre_policies ADD COLUMN fairness TEXT;
