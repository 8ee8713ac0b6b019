/**
 * Per-tenant object storage: one MinIO instance per tenant on a Docker host. The parts live in sub-packages —
 * {@code instance} (the container's lifecycle), {@code bucket} (what a tenant keeps in it), {@code key} (who may reach
 * it, and how a VM mounts it) and {@code usage} (what it holds, and the hard limit). This package keeps what they share:
 * the seam to a ready instance ({@link dev.berth.storage.InstanceDirectory}, {@link dev.berth.storage.InstanceAccess}),
 * the S3/admin port and its minio-java adapter ({@link dev.berth.storage.ObjectStore},
 * {@link dev.berth.storage.MinioObjectStore}), the configuration, and the errors and events the parts exchange.
 */
package dev.berth.storage;
