-- People's accounts (API tokens stay, for machines). A password is kept as its argon2id PHC
-- string; an invitation or reset code, a session and its CSRF token as SHA-256 hashes.
-- Instants are UTC, RFC 3339 text.
CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    login           TEXT NOT NULL UNIQUE,
    display_name    TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('admin', 'director', 'coordinator', 'finance',
                        'firm_admin', 'lawyer')),
    state           TEXT NOT NULL CHECK (state IN ('invited', 'active', 'locked', 'disabled')),
    lawyer_id       TEXT REFERENCES lawyers(id),
    firm_id         TEXT REFERENCES firms(id),
    password_hash   TEXT,
    code_hash       TEXT UNIQUE,
    code_expires_at TEXT,
    created_at      TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((role = 'lawyer') = (lawyer_id IS NOT NULL)),
    CHECK ((role = 'firm_admin') = (firm_id IS NOT NULL)),
    CHECK ((code_hash IS NULL) = (code_expires_at IS NULL)),
    CHECK (state <> 'active' OR password_hash IS NOT NULL)
) STRICT;
-- One account per lawyer.
CREATE UNIQUE INDEX users_lawyer ON users (lawyer_id) WHERE lawyer_id IS NOT NULL;

-- The centres of a coordinator, finance officer or director.
CREATE TABLE user_centres (
    user_id     INTEGER NOT NULL REFERENCES users(id),
    centre_id   TEXT NOT NULL REFERENCES centres(id),
    PRIMARY KEY (user_id, centre_id)
) STRICT;

-- Browser sessions, shared by every process on the database.
CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id),
    token_hash    TEXT NOT NULL UNIQUE,
    csrf_hash     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    ip            TEXT NOT NULL,
    user_agent    TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);

-- Sign-in attempts of the last day, for the brute-force delay across processes.
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    login   TEXT NOT NULL,
    ip      TEXT NOT NULL,
    at      TEXT NOT NULL,
    ok      INTEGER NOT NULL CHECK (ok IN (0, 1))
) STRICT;
CREATE INDEX login_attempts_login ON login_attempts (login, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);
