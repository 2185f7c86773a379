DROP TABLE IF EXISTS quota_reservations;
