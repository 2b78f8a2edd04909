-- Key columns compare bytewise: the clusters here are created with the C.UTF-8 locale, whose collation PostgreSQL
-- applies through strcoll, and the primary-key inserts of the sink spent much of their time there.
ALTER TABLE market_data
  ALTER COLUMN market TYPE text COLLATE "C",
  ALTER COLUMN series_id TYPE text COLLATE "C",
  ALTER COLUMN kind TYPE text COLLATE "C";
