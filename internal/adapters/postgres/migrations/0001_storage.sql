-- Storage: one table for the objects of every resource, tombstones included.
-- Text keys use the "C" collation: string order is bytewise, as
-- domain.Compare has it, and LIKE 'prefix%' can use the B-tree indexes.
CREATE TABLE IF NOT EXISTS objects (
    parent_id     TEXT COLLATE "C" NOT NULL,
    resource_name TEXT COLLATE "C" NOT NULL,
    id            TEXT COLLATE "C" NOT NULL,
    -- Epoch milliseconds; unique per list (see the index below).
    last_modified BIGINT NOT NULL,
    deleted       BOOLEAN NOT NULL DEFAULT FALSE,
    -- The object without id and last_modified; '{}' for tombstones.
    data          JSONB NOT NULL DEFAULT '{}',
    PRIMARY KEY (parent_id, resource_name, id)
);

-- No two objects of a list share a timestamp: the guard behind the
-- timestamp rule, and the index of the default order (-last_modified) and
-- of _since / _before.
CREATE UNIQUE INDEX IF NOT EXISTS objects_list_last_modified_idx
    ON objects (parent_id, resource_name, last_modified DESC);

-- The timestamp T of each list. A NULL value marks a list whose row exists
-- only to be locked by writers, before anyone read or wrote T.
CREATE TABLE IF NOT EXISTS timestamps (
    parent_id     TEXT COLLATE "C" NOT NULL,
    resource_name TEXT COLLATE "C" NOT NULL,
    last_modified BIGINT,
    PRIMARY KEY (parent_id, resource_name)
);
