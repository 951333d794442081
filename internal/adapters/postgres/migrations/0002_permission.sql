-- Permissions: access-control entries and the principals users hold
-- through groups.
CREATE TABLE IF NOT EXISTS access_control_entries (
    object_id  TEXT COLLATE "C" NOT NULL,
    permission TEXT COLLATE "C" NOT NULL,
    principal  TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (object_id, permission, principal)
);

-- Accessible starts from the caller's principals, then narrows by the
-- literal prefix of the object pattern.
CREATE INDEX IF NOT EXISTS access_control_entries_principal_idx
    ON access_control_entries (principal, object_id);

CREATE TABLE IF NOT EXISTS user_principals (
    user_id   TEXT COLLATE "C" NOT NULL,
    principal TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (user_id, principal)
);

-- Removing a group (or every group of a bucket) goes by principal.
CREATE INDEX IF NOT EXISTS user_principals_principal_idx
    ON user_principals (principal);
