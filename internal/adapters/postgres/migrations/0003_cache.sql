-- The cache: short-lived values by key, each with its expiry. Values are
-- the JSON texts callers hand in, kept as bytes so that they come back
-- byte for byte. Keys carry the cache_prefix of whoever wrote them.
CREATE TABLE IF NOT EXISTS cache_entries (
    key     TEXT COLLATE "C" PRIMARY KEY,
    value   BYTEA NOT NULL,
    expires TIMESTAMPTZ NOT NULL
);

-- The sweep deletes expired rows oldest first.
CREATE INDEX IF NOT EXISTS cache_entries_expires_idx ON cache_entries (expires);
