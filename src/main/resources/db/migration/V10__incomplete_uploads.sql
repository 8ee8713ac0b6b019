-- Parts of multipart uploads never completed fill a volume like objects do, so they count against the hard limit:
-- storage_usage.bytes is objects plus these; the split is kept so pages can say what the bytes are.
alter table storage_usage add column incomplete_bytes bigint not null default 0;
alter table storage_usage add column incomplete_uploads integer not null default 0;
