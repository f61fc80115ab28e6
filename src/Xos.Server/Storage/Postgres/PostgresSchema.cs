using Xos.Server.Storage.Sql;

namespace Xos.Server.Storage.Postgres;

/// <summary>
/// The metadata schema in PostgreSQL: the tables of the SQLite schema with PostgreSQL's types. Keys are BYTEA and
/// names use the "C" collation, so both compare byte by byte (S3's listing order) whatever the database's locale.
/// </summary>
internal static class PostgresSchema
{
    public const int Version = 8;

    public static SqlSchema Current => new(Version, Create, Migrations);

    /// <summary>
    /// Steps from older PostgreSQL schemas; the first PostgreSQL schema is version 3. Versions that only add tables
    /// (5: console_sessions; 6: notify_targets, events) need none: <see cref="Create"/> runs after them and creates what is missing.
    /// 8 changes no table: from it on the outbox's rows are compact (<see cref="Notifications.EventMessage"/>), which a
    /// gateway of version 7 would send as they are, so none may deliver beside one of version 8: the version says so.
    /// </summary>
    private static readonly (int Version, string Sql)[] Migrations =
    [
        (4, "ALTER TABLE objects ADD COLUMN IF NOT EXISTS inline_data BYTEA;"),
        (7, IamUsersTable + """
            ALTER TABLE access_keys ADD COLUMN IF NOT EXISTS iam_user_id TEXT COLLATE "C" REFERENCES iam_users(id) ON DELETE CASCADE;
            ALTER TABLE access_keys ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'Active';
            ALTER TABLE sessions ADD COLUMN IF NOT EXISTS iam_user_id TEXT COLLATE "C" REFERENCES iam_users(id) ON DELETE CASCADE;
            ALTER TABLE roles ADD COLUMN IF NOT EXISTS account_id TEXT COLLATE "C" REFERENCES users(id) ON DELETE CASCADE;
            ALTER TABLE roles ADD COLUMN IF NOT EXISTS role_id TEXT;
            ALTER TABLE roles ADD COLUMN IF NOT EXISTS path TEXT COLLATE "C" NOT NULL DEFAULT '/';
            ALTER TABLE roles ADD COLUMN IF NOT EXISTS description TEXT;
            ALTER TABLE roles ADD COLUMN IF NOT EXISTS max_session BIGINT NOT NULL DEFAULT 3600;
            ALTER TABLE roles ADD COLUMN IF NOT EXISTS trust_policy TEXT;
            """),
        (8, "SELECT 1;"),
    ];

    /// <summary>IAM users (schema 7), also created by migration 7 before columns that refer to it.</summary>
    private const string IamUsersTable = """
        CREATE TABLE IF NOT EXISTS iam_users (
            id TEXT COLLATE "C" PRIMARY KEY,
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            name_key TEXT COLLATE "C" NOT NULL,
            path TEXT COLLATE "C" NOT NULL,
            created BIGINT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS iam_users_name ON iam_users(account_id, name_key);
        """;

    private const string Create = """
        CREATE TABLE IF NOT EXISTS users (
            id TEXT COLLATE "C" PRIMARY KEY,
            display_name TEXT COLLATE "C" NOT NULL,
            created BIGINT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users(display_name);

        """ + IamUsersTable + """
        CREATE TABLE IF NOT EXISTS iam_groups (
            id TEXT COLLATE "C" PRIMARY KEY,
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            name_key TEXT COLLATE "C" NOT NULL,
            path TEXT COLLATE "C" NOT NULL,
            created BIGINT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS iam_groups_name ON iam_groups(account_id, name_key);

        CREATE TABLE IF NOT EXISTS iam_group_members (
            group_id TEXT COLLATE "C" NOT NULL REFERENCES iam_groups(id) ON DELETE CASCADE,
            user_id TEXT COLLATE "C" NOT NULL REFERENCES iam_users(id) ON DELETE CASCADE,
            PRIMARY KEY (group_id, user_id));
        CREATE INDEX IF NOT EXISTS iam_group_members_user ON iam_group_members(user_id);

        CREATE TABLE IF NOT EXISTS iam_inline_policies (
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            owner_kind TEXT COLLATE "C" NOT NULL,
            owner_id TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            document TEXT NOT NULL,
            PRIMARY KEY (owner_kind, owner_id, name));

        CREATE TABLE IF NOT EXISTS iam_policies (
            arn TEXT COLLATE "C" PRIMARY KEY,
            id TEXT NOT NULL,
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name TEXT COLLATE "C" NOT NULL,
            path TEXT COLLATE "C" NOT NULL,
            description TEXT,
            default_version BIGINT NOT NULL,
            next_version BIGINT NOT NULL,
            created BIGINT NOT NULL,
            updated BIGINT NOT NULL);
        CREATE UNIQUE INDEX IF NOT EXISTS iam_policies_name ON iam_policies(account_id, name);

        CREATE TABLE IF NOT EXISTS iam_policy_versions (
            arn TEXT COLLATE "C" NOT NULL REFERENCES iam_policies(arn) ON DELETE CASCADE,
            version BIGINT NOT NULL,
            document TEXT NOT NULL,
            created BIGINT NOT NULL,
            PRIMARY KEY (arn, version));

        CREATE TABLE IF NOT EXISTS iam_attachments (
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            owner_kind TEXT COLLATE "C" NOT NULL,
            owner_id TEXT COLLATE "C" NOT NULL,
            policy_arn TEXT COLLATE "C" NOT NULL,
            PRIMARY KEY (owner_kind, owner_id, policy_arn));
        CREATE INDEX IF NOT EXISTS iam_attachments_policy ON iam_attachments(policy_arn);

        CREATE TABLE IF NOT EXISTS iam_oidc_providers (
            arn TEXT COLLATE "C" PRIMARY KEY,
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            url TEXT NOT NULL,
            client_ids TEXT NOT NULL,
            thumbprints TEXT NOT NULL,
            created BIGINT NOT NULL);

        CREATE TABLE IF NOT EXISTS iam_tags (
            account_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            owner_kind TEXT COLLATE "C" NOT NULL,
            owner_id TEXT COLLATE "C" NOT NULL,
            key TEXT COLLATE "C" NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (owner_kind, owner_id, key));

        CREATE TABLE IF NOT EXISTS roles (
            name TEXT COLLATE "C" PRIMARY KEY,
            policy TEXT NOT NULL,
            trusted_users TEXT NOT NULL,
            created BIGINT NOT NULL,
            account_id TEXT COLLATE "C" REFERENCES users(id) ON DELETE CASCADE,
            role_id TEXT,
            path TEXT COLLATE "C" NOT NULL DEFAULT '/',
            description TEXT,
            max_session BIGINT NOT NULL DEFAULT 3600,
            trust_policy TEXT);
        CREATE UNIQUE INDEX IF NOT EXISTS roles_name_key ON roles(lower(name));

        CREATE TABLE IF NOT EXISTS sessions (
            access_key TEXT COLLATE "C" PRIMARY KEY,
            secret_key TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role_name TEXT COLLATE "C" NOT NULL,
            session_name TEXT NOT NULL,
            session_policy TEXT,
            expires BIGINT NOT NULL,
            iam_user_id TEXT COLLATE "C" REFERENCES iam_users(id) ON DELETE CASCADE);

        CREATE TABLE IF NOT EXISTS access_keys (
            access_key TEXT COLLATE "C" PRIMARY KEY,
            secret_key TEXT NOT NULL,
            user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created BIGINT NOT NULL,
            iam_user_id TEXT COLLATE "C" REFERENCES iam_users(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'Active');
        CREATE INDEX IF NOT EXISTS access_keys_user ON access_keys(user_id);
        CREATE INDEX IF NOT EXISTS access_keys_iam_user ON access_keys(iam_user_id);

        CREATE TABLE IF NOT EXISTS buckets (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            name TEXT COLLATE "C" NOT NULL UNIQUE,
            owner_id TEXT COLLATE "C" NOT NULL,
            created BIGINT NOT NULL,
            location TEXT NOT NULL,
            acl TEXT,
            versioning TEXT NOT NULL DEFAULT '');

        CREATE TABLE IF NOT EXISTS bucket_settings (
            bucket_id BIGINT NOT NULL REFERENCES buckets(id) ON DELETE CASCADE,
            name TEXT COLLATE "C" NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (bucket_id, name));

        CREATE TABLE IF NOT EXISTS account_settings (
            owner_id TEXT COLLATE "C" NOT NULL,
            name TEXT COLLATE "C" NOT NULL,
            value TEXT NOT NULL,
            PRIMARY KEY (owner_id, name));

        CREATE TABLE IF NOT EXISTS kms_keys (
            id TEXT COLLATE "C" PRIMARY KEY,
            algorithm TEXT NOT NULL,
            enabled BIGINT NOT NULL,
            created BIGINT NOT NULL,
            current_version BIGINT NOT NULL);

        CREATE TABLE IF NOT EXISTS kms_key_versions (
            key_id TEXT COLLATE "C" NOT NULL REFERENCES kms_keys(id),
            version BIGINT NOT NULL,
            material TEXT NOT NULL,
            created BIGINT NOT NULL,
            PRIMARY KEY (key_id, version));

        CREATE TABLE IF NOT EXISTS console_sessions (
            id TEXT COLLATE "C" PRIMARY KEY,
            access_key TEXT COLLATE "C" NOT NULL,
            secret_hash TEXT NOT NULL,
            session_token TEXT,
            created BIGINT NOT NULL,
            last_seen BIGINT NOT NULL,
            expires BIGINT NOT NULL);
        CREATE INDEX IF NOT EXISTS console_sessions_expires ON console_sessions(expires);

        CREATE TABLE IF NOT EXISTS leases (
            name TEXT COLLATE "C" PRIMARY KEY,
            holder TEXT NOT NULL,
            expires BIGINT NOT NULL);

        CREATE TABLE IF NOT EXISTS notify_targets (
            arn TEXT COLLATE "C" PRIMARY KEY,
            kind TEXT NOT NULL,
            name TEXT NOT NULL,
            settings TEXT NOT NULL,
            created BIGINT NOT NULL);

        CREATE TABLE IF NOT EXISTS events (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            target TEXT COLLATE "C" NOT NULL,
            created BIGINT NOT NULL,
            payload TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS events_target ON events(target, id);

        CREATE TABLE IF NOT EXISTS objects (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            bucket_id BIGINT NOT NULL REFERENCES buckets(id),
            key BYTEA NOT NULL,
            version_id TEXT COLLATE "C" NOT NULL,
            is_latest BIGINT NOT NULL,
            delete_marker BIGINT NOT NULL,
            size BIGINT NOT NULL,
            etag TEXT NOT NULL,
            last_modified BIGINT NOT NULL,
            content_type TEXT NOT NULL,
            headers TEXT,
            storage_class TEXT NOT NULL,
            owner_id TEXT COLLATE "C" NOT NULL,
            blob_id TEXT COLLATE "C",
            parts_count BIGINT NOT NULL,
            acl TEXT,
            tags TEXT,
            encryption TEXT,
            seq BIGINT NOT NULL DEFAULT 0,
            checksum_algorithm TEXT,
            checksum_type TEXT,
            checksum TEXT,
            upload_id TEXT COLLATE "C",
            lock_mode TEXT,
            lock_until BIGINT,
            legal_hold BIGINT NOT NULL DEFAULT 0,
            inline_data BYTEA);
        CREATE UNIQUE INDEX IF NOT EXISTS objects_version ON objects(bucket_id, key, version_id);
        CREATE UNIQUE INDEX IF NOT EXISTS objects_latest ON objects(bucket_id, key) WHERE is_latest = 1;
        CREATE INDEX IF NOT EXISTS objects_blob ON objects(blob_id);
        CREATE INDEX IF NOT EXISTS objects_seq ON objects(bucket_id, key, seq DESC);

        CREATE TABLE IF NOT EXISTS object_segments (
            object_id BIGINT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
            seq BIGINT NOT NULL,
            blob_id TEXT COLLATE "C" NOT NULL,
            size BIGINT NOT NULL,
            part_number BIGINT NOT NULL,
            checksum TEXT,
            PRIMARY KEY (object_id, seq));
        CREATE INDEX IF NOT EXISTS object_segments_blob ON object_segments(blob_id);

        CREATE TABLE IF NOT EXISTS uploads (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            upload_id TEXT COLLATE "C" NOT NULL UNIQUE,
            bucket_id BIGINT NOT NULL REFERENCES buckets(id),
            key BYTEA NOT NULL,
            initiated BIGINT NOT NULL,
            owner_id TEXT COLLATE "C" NOT NULL,
            content_type TEXT NOT NULL,
            headers TEXT,
            storage_class TEXT NOT NULL,
            acl TEXT,
            tags TEXT,
            encryption TEXT,
            checksum_algorithm TEXT,
            checksum_type TEXT,
            lock_mode TEXT,
            lock_until BIGINT,
            legal_hold BIGINT NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS uploads_key ON uploads(bucket_id, key, upload_id);

        CREATE TABLE IF NOT EXISTS parts (
            upload_id BIGINT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
            part_number BIGINT NOT NULL,
            blob_id TEXT COLLATE "C" NOT NULL,
            size BIGINT NOT NULL,
            etag TEXT NOT NULL,
            last_modified BIGINT NOT NULL,
            checksum TEXT,
            PRIMARY KEY (upload_id, part_number));
        CREATE INDEX IF NOT EXISTS parts_blob ON parts(blob_id);
        """;
}
