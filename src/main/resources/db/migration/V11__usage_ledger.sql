-- Usage kept from MinIO's bucket events instead of listing objects (README, "Storage at scale").
-- One row per bucket: what pages show and the hard limit sums. counted_since is null until the bucket's usage is
-- known exactly (created through Berth, or reconciled by a full listing once); reconciled_at is the last listing.
create table bucket_usage (
    tenant_id           bigint       not null references tenant (id),
    bucket              varchar(63)  not null,
    current_objects     bigint       not null default 0,
    current_bytes       bigint       not null default 0,
    noncurrent_versions bigint       not null default 0,
    noncurrent_bytes    bigint       not null default 0,
    delete_markers      bigint       not null default 0,
    last_modified       timestamp with time zone,
    counted_since       timestamp with time zone,
    reconciled_at       timestamp with time zone,
    updated_at          timestamp with time zone not null,
    primary key (tenant_id, bucket)
);

-- The object index the events are applied to: MinIO's removal events carry no size, and an overwrite's event not the
-- size it replaced, so Berth remembers each version's size. version_id is '' for the null version (unversioned).
-- seq orders events (MinIO's sequencer, nanoseconds) so a replayed or late event never undoes a newer one.
create table stored_object (
    tenant_id     bigint        not null,
    bucket        varchar(63)   not null,
    object_key    varchar(1024) not null,
    version_id    varchar(64)   not null,
    size          bigint        not null,
    delete_marker boolean       not null,
    latest        boolean       not null,
    seq           bigint        not null,
    primary key (tenant_id, bucket, object_key, version_id)
);
