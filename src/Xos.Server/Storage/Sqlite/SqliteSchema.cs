using Xos.Server.Storage.Sql;

namespace Xos.Server.Storage.Sqlite;

/// <summary>
/// The metadata schema. Keys are stored as BLOBs of UTF-8 so that the database compares them byte by byte,
/// which is S3's listing order. Foreign keys make "no object without its bucket" and "no part without its upload"
/// database invariants that hold across server processes.
/// </summary>
internal static class SqliteSchema
{
    public const int Version = 8;

    public static SqlSchema Current => new(Version, Create, Migrations);

    /// <summary>IAM users (schema 7), also created by migration 7 before columns that refer to it.</summary>
    private const string IamUsersTable = """
        CREATE TABLE IF NOT EXISTS iam_users (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            path TEXT NOT NULL,
            created INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS iam_users_name ON iam_users(account_id, name_key);
        """;

    /// <summary>
    /// The outbox (schema 8). Events are numbered by <see cref="SqliteDatabase.InsertEventSql"/>: one more than the
    /// highest id in the table or in event_ids, whose one row keeps the highest id ever deleted, so numbers never go
    /// back when the outbox empties. That number is taken inside the write transaction, and SQLite's writers take turns,
    /// so ids follow commit order. No AUTOINCREMENT (its counter is one more page per commit) and no index on target:
    /// the delivery worker reads each target's events from just after the last one it delivered (a rowid range), and
    /// delivered events leave the table, so what it passes over of other targets is what they have not delivered yet.
    /// </summary>
    private const string EventsTables = """
        CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,
            created INTEGER NOT NULL,
            payload TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS event_ids (floor INTEGER NOT NULL);
        INSERT INTO event_ids(floor) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM event_ids);
        """;

    public const string Create = """
        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            display_name TEXT NOT NULL,
            created INTEGER NOT NULL);

        CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users(display_name);

        """ + IamUsersTable + """
        CREATE TABLE IF NOT EXISTS iam_groups (
            id TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            path TEXT NOT NULL,
            created INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS iam_groups_name ON iam_groups(account_id, name_key);

        CREATE TABLE IF NOT EXISTS iam_group_members (
            group_id TEXT NOT NULL REFERENCES iam_groups(id) ON DELETE CASCADE,
            user_id TEXT NOT NULL REFERENCES iam_users(id) ON DELETE CASCADE,
            PRIMARY KEY (group_id, user_id));
        CREATE INDEX IF NOT EXISTS iam_group_members_user ON iam_group_members(user_id);

        CREATE TABLE IF NOT EXISTS iam_inline_policies (
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            owner_kind TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            name TEXT NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (owner_kind, owner_id, name));

        CREATE TABLE IF NOT EXISTS iam_policies (
            arn TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            path TEXT NOT NULL,
            description TEXT,
            default_version INTEGER NOT NULL,
            next_version INTEGER NOT NULL,
            created INTEGER NOT NULL,
            updated INTEGER NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS iam_policies_name ON iam_policies(account_id, name);

        CREATE TABLE IF NOT EXISTS iam_policy_versions (
            arn TEXT NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            document TEXT NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (arn, version));

        CREATE TABLE IF NOT EXISTS iam_attachments (
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            owner_kind TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            policy_arn TEXT NOT NULL,
            PRIMARY KEY (owner_kind, owner_id, policy_arn));
        CREATE INDEX IF NOT EXISTS iam_attachments_policy ON iam_attachments(policy_arn);

        CREATE TABLE IF NOT EXISTS iam_oidc_providers (
            arn TEXT PRIMARY KEY,
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            client_ids TEXT NOT NULL,
            thumbprints TEXT NOT NULL,
            created INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS iam_tags (
            account_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            owner_kind TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (owner_kind, owner_id, key));

        CREATE TABLE IF NOT EXISTS roles (
            name TEXT PRIMARY KEY,
            policy TEXT NOT NULL,
            trusted_users TEXT NOT NULL,
            created INTEGER NOT NULL,
            account_id TEXT REFERENCES users(id) ON DELETE CASCADE,
            role_id TEXT,
            path TEXT NOT NULL DEFAULT '/',
            description TEXT,
            max_session INTEGER NOT NULL DEFAULT 3600,
            trust_policy TEXT);
        CREATE UNIQUE INDEX IF NOT EXISTS roles_name_key ON roles(lower(name));

        CREATE TABLE IF NOT EXISTS sessions (
            access_key TEXT PRIMARY KEY,
            secret_key TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role_name TEXT NOT NULL,
            session_name TEXT NOT NULL,
            session_policy TEXT,
            expires INTEGER NOT NULL,
            iam_user_id TEXT REFERENCES iam_users(id) ON DELETE CASCADE);

        CREATE TABLE IF NOT EXISTS access_keys (
            access_key TEXT PRIMARY KEY,
            secret_key TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created INTEGER NOT NULL,
            iam_user_id TEXT REFERENCES iam_users(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'Active');
        CREATE INDEX IF NOT EXISTS access_keys_user ON access_keys(user_id);
        CREATE INDEX IF NOT EXISTS access_keys_iam_user ON access_keys(iam_user_id);

        CREATE TABLE IF NOT EXISTS buckets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            owner_id TEXT NOT NULL,
            created INTEGER NOT NULL,
            location TEXT NOT NULL,
            acl TEXT,
            versioning TEXT NOT NULL DEFAULT '');

        CREATE TABLE IF NOT EXISTS bucket_settings (
            bucket_id INTEGER NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (bucket_id, name));

        CREATE TABLE IF NOT EXISTS account_settings (
            owner_id TEXT NOT NULL,
            name TEXT NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (owner_id, name));

        CREATE TABLE IF NOT EXISTS kms_keys (
            id TEXT PRIMARY KEY,
            algorithm TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            created INTEGER NOT NULL,
            current_version INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS kms_key_versions (
            key_id TEXT NOT NULL REFERENCES kms_keys(id),
            version INTEGER NOT NULL,
            material TEXT NOT NULL,
            created INTEGER NOT NULL,
            PRIMARY KEY (key_id, version));

        CREATE TABLE IF NOT EXISTS console_sessions (
            id TEXT PRIMARY KEY,
            access_key TEXT NOT NULL,
            secret_hash TEXT NOT NULL,
            session_token TEXT,
            created INTEGER NOT NULL,
            last_seen INTEGER NOT NULL,
            expires INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS console_sessions_expires ON console_sessions(expires);

        CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS notify_targets (
            arn TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            settings TEXT NOT NULL,
            created INTEGER NOT NULL);

        """ + EventsTables + """

        CREATE TABLE IF NOT EXISTS objects (
            id INTEGER PRIMARY KEY,
            bucket_id INTEGER NOT NULL REFERENCES buckets(id),
            key BLOB NOT NULL,
            version_id TEXT NOT NULL,
            is_latest INTEGER NOT NULL,
            delete_marker INTEGER NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified INTEGER NOT NULL,
            content_type TEXT NOT NULL,
            headers TEXT,
            storage_class TEXT NOT NULL,
            owner_id TEXT NOT NULL,
            blob_id TEXT,
            parts_count INTEGER NOT NULL,
            acl TEXT,
            tags TEXT,
            encryption TEXT,
            seq INTEGER NOT NULL DEFAULT 0,
            checksum_algorithm TEXT,
            checksum_type TEXT,
            checksum TEXT,
            upload_id TEXT,
            lock_mode TEXT,
            lock_until INTEGER,
            legal_hold INTEGER NOT NULL DEFAULT 0,
            inline_data BLOB);
        CREATE UNIQUE INDEX IF NOT EXISTS objects_version ON objects(bucket_id, key, version_id);
        CREATE UNIQUE INDEX IF NOT EXISTS objects_latest ON objects(bucket_id, key) WHERE is_latest = 1;
        CREATE INDEX IF NOT EXISTS objects_blob ON objects(blob_id);
        CREATE INDEX IF NOT EXISTS objects_seq ON objects(bucket_id, key, seq DESC);

        CREATE TABLE IF NOT EXISTS object_segments (
            object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            blob_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            part_number INTEGER NOT NULL,
            checksum TEXT,
            PRIMARY KEY (object_id, seq));
        CREATE INDEX IF NOT EXISTS object_segments_blob ON object_segments(blob_id);

        CREATE TABLE IF NOT EXISTS uploads (
            id INTEGER PRIMARY KEY,
            upload_id TEXT NOT NULL UNIQUE,
            bucket_id INTEGER NOT NULL REFERENCES buckets(id),
            key BLOB NOT NULL,
            initiated INTEGER NOT NULL,
            owner_id TEXT NOT NULL,
            content_type TEXT NOT NULL,
            headers TEXT,
            storage_class TEXT NOT NULL,
            acl TEXT,
            tags TEXT,
            encryption TEXT,
            checksum_algorithm TEXT,
            checksum_type TEXT,
            lock_mode TEXT,
            lock_until INTEGER,
            legal_hold INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS uploads_key ON uploads(bucket_id, key, upload_id);

        CREATE TABLE IF NOT EXISTS parts (
            upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
            part_number INTEGER NOT NULL,
            blob_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified INTEGER NOT NULL,
            checksum TEXT,
            PRIMARY KEY (upload_id, part_number));
        CREATE INDEX IF NOT EXISTS parts_blob ON parts(blob_id);
        """;

    /// <summary>
    /// Statements that bring a database of the version before each entry's to that version. Versions that only add
    /// tables (5: console_sessions; 6: notify_targets, events) need none: <see cref="Create"/> runs after them and creates what is missing.
    /// 8 rebuilds the outbox without AUTOINCREMENT and its index, keeping every queued event and id, and starts
    /// event_ids at the highest id AUTOINCREMENT had given, so that sequencers go on growing.
    /// </summary>
    public static readonly (int Version, string Sql)[] Migrations =
    [
        (2, """
            ALTER TABLE objects ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
            UPDATE objects SET seq = id;
            ALTER TABLE objects ADD COLUMN checksum_algorithm TEXT;
            ALTER TABLE objects ADD COLUMN checksum_type TEXT;
            ALTER TABLE objects ADD COLUMN checksum TEXT;
            ALTER TABLE objects ADD COLUMN upload_id TEXT;
            ALTER TABLE objects ADD COLUMN lock_mode TEXT;
            ALTER TABLE objects ADD COLUMN lock_until INTEGER;
            ALTER TABLE objects ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
            DROP INDEX IF EXISTS objects_versions;
            ALTER TABLE object_segments ADD COLUMN checksum TEXT;
            ALTER TABLE uploads ADD COLUMN checksum_algorithm TEXT;
            ALTER TABLE uploads ADD COLUMN checksum_type TEXT;
            ALTER TABLE uploads ADD COLUMN lock_mode TEXT;
            ALTER TABLE uploads ADD COLUMN lock_until INTEGER;
            ALTER TABLE uploads ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE parts ADD COLUMN checksum TEXT;
            """),
        (3, """
            CREATE TABLE IF NOT EXISTS account_settings (
                owner_id TEXT NOT NULL,
                name TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (owner_id, name));
            """),
        (4, """
            ALTER TABLE objects ADD COLUMN inline_data BLOB;
            """),
        (7, IamUsersTable + """
            ALTER TABLE access_keys ADD COLUMN iam_user_id TEXT REFERENCES iam_users(id) ON DELETE CASCADE;
            ALTER TABLE access_keys ADD COLUMN status TEXT NOT NULL DEFAULT 'Active';
            ALTER TABLE sessions ADD COLUMN iam_user_id TEXT REFERENCES iam_users(id) ON DELETE CASCADE;
            ALTER TABLE roles ADD COLUMN account_id TEXT REFERENCES users(id) ON DELETE CASCADE;
            ALTER TABLE roles ADD COLUMN role_id TEXT;
            ALTER TABLE roles ADD COLUMN path TEXT NOT NULL DEFAULT '/';
            ALTER TABLE roles ADD COLUMN description TEXT;
            ALTER TABLE roles ADD COLUMN max_session INTEGER NOT NULL DEFAULT 3600;
            ALTER TABLE roles ADD COLUMN trust_policy TEXT;
            """),
        (8, """
            CREATE TABLE IF NOT EXISTS events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                target TEXT NOT NULL,
                created INTEGER NOT NULL,
                payload TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS event_ids (floor INTEGER NOT NULL);
            INSERT INTO event_ids(floor) SELECT MAX(
                COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0),
                COALESCE((SELECT MAX(id) FROM events), 0),
                COALESCE((SELECT MAX(floor) FROM event_ids), 0));
            DELETE FROM event_ids WHERE floor < (SELECT MAX(floor) FROM event_ids);
            CREATE TABLE events_v8 (
                id INTEGER PRIMARY KEY,
                target TEXT NOT NULL,
                created INTEGER NOT NULL,
                payload TEXT NOT NULL);
            INSERT INTO events_v8(id, target, created, payload) SELECT id, target, created, payload FROM events;
            DROP TABLE events;
            ALTER TABLE events_v8 RENAME TO events;
            """),
    ];
}
