/**
 * Access keys to a tenant's buckets: the key record (the secret encrypted at rest, shown once), its mode and the
 * bucket policy MinIO enforces for it, generation of key and secret, how a VM mounts a bucket with one (s3fs, rclone,
 * the CA file), and the administrator's view of a tenant's keys.
 */
package dev.berth.storage.key;
