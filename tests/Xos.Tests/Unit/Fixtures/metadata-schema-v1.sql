        CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS users (
            id TEXT PRIMARY KEY,
            display_name TEXT NOT NULL,
            created INTEGER NOT NULL);

        CREATE UNIQUE INDEX IF NOT EXISTS users_name ON users(display_name);

        CREATE TABLE IF NOT EXISTS roles (
            name TEXT PRIMARY KEY,
            policy TEXT NOT NULL,
            trusted_users TEXT NOT NULL,
            created INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS sessions (
            access_key TEXT PRIMARY KEY,
            secret_key TEXT NOT NULL,
            token_hash TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role_name TEXT NOT NULL,
            session_name TEXT NOT NULL,
            session_policy TEXT,
            expires INTEGER NOT NULL);

        CREATE TABLE IF NOT EXISTS access_keys (
            access_key TEXT PRIMARY KEY,
            secret_key TEXT NOT NULL,
            user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS access_keys_user ON access_keys(user_id);

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

        CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires INTEGER NOT NULL);

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
            encryption TEXT);
        CREATE UNIQUE INDEX IF NOT EXISTS objects_version ON objects(bucket_id, key, version_id);
        CREATE UNIQUE INDEX IF NOT EXISTS objects_latest ON objects(bucket_id, key) WHERE is_latest = 1;
        CREATE INDEX IF NOT EXISTS objects_blob ON objects(blob_id);
        CREATE INDEX IF NOT EXISTS objects_versions ON objects(bucket_id, key, id DESC);

        CREATE TABLE IF NOT EXISTS object_segments (
            object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            blob_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            part_number INTEGER NOT NULL,
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
            encryption TEXT);
        CREATE INDEX IF NOT EXISTS uploads_key ON uploads(bucket_id, key, upload_id);

        CREATE TABLE IF NOT EXISTS parts (
            upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
            part_number INTEGER NOT NULL,
            blob_id TEXT NOT NULL,
            size INTEGER NOT NULL,
            etag TEXT NOT NULL,
            last_modified INTEGER NOT NULL,
            PRIMARY KEY (upload_id, part_number));
        CREATE INDEX IF NOT EXISTS parts_blob ON parts(blob_id);
