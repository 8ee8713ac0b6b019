-- Every tenant instance speaks TLS only. Berth's own certificate authority (when the operator supplies none) is one
-- row: its private key sealed by SecretBox like every other secret. Two replicas creating it at once: the primary
-- key lets one win, the other reads the winner's.
create table tls_authority (
    id          integer       not null primary key,
    cert_pem    varchar(8000) not null,
    key_sealed  varchar(8000) not null,
    created_at  timestamp with time zone not null,
    constraint ck_tls_authority_one check (id = 1)
);
-- The certificate of each instance (subject alternative name: the Docker host's storage address). applied_serial is
-- the serial the running container was last started with: a new certificate differs from it until the instance has
-- been restarted with it, so a crash between issuing and restarting is finished by the next reconcile.
create table instance_certificate (
    instance_id     bigint        not null primary key references storage_instance (id) on delete cascade,
    cert_pem        varchar(8000) not null,
    key_sealed      varchar(8000) not null,
    serial          varchar(64)   not null,
    subject_alt     varchar(255)  not null,
    not_before      timestamp with time zone not null,
    not_after       timestamp with time zone not null,
    applied_serial  varchar(64),
    issued_at       timestamp with time zone not null
);
