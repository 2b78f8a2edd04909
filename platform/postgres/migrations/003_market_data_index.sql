-- The primary key (market, series_id, kind, interval_start) already serves per-series time-range reads;
-- the second index halved the sink's write rate (bench/RESULTS.md), so it goes.
DROP INDEX IF EXISTS market_data_series_time;
