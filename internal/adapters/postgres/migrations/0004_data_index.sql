-- Equality and in_ filters on a top-level field of the objects' data are
-- written as containment (data @> '{"field": value}', see query.go) so
-- that this index serves them: a filtered page reads the matching rows
-- instead of scanning its list. jsonb_path_ops indexes a hash of each
-- path and value, smaller and faster than the default jsonb_ops, and
-- supports @> only, the one operator used. Tombstones ('{}') add no entry.
-- On an existing database the index is built inside the migration's
-- transaction, which holds writes to objects meanwhile (about 7 s for a
-- million records on a small machine).
CREATE INDEX IF NOT EXISTS objects_data_path_idx ON objects USING gin (data jsonb_path_ops);
