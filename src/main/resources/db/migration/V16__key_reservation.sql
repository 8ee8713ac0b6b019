-- A key's row is written (reserving its place in the quota) before MinIO is asked to make the key, so that the
-- tenant's lock is not held across the instance's answer. Until MinIO has it, pending_since is set.
alter table access_key add column pending_since timestamp with time zone;
