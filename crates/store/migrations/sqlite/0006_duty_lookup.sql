-- A lawyer's duty at one station on one day (check-in, swaps) is found by index, not by
-- scanning all of the lawyer's duties of the day.
DROP INDEX assignments_by_lawyer;
CREATE INDEX assignments_by_lawyer ON assignments(lawyer_id, date, station_id);
