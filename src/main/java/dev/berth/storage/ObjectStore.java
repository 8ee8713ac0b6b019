package dev.berth.storage;

import dev.berth.storage.instance.InstanceSpec;
import dev.berth.storage.usage.UsageLedger;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What Berth does inside a tenant's S3 instance: buckets, bucket-scoped access keys (service accounts with an
 * inline policy) and the bytes stored. Only the adapter knows the client library; every call is bounded by a
 * timeout and fails with {@link StorageException} carrying a message fit for a page.
 */
public interface ObjectStore {
    /** Every bucket with its size, object count (every version counts) and last change. */
    List<BucketInfo> buckets(InstanceAccess at);

    /** Bucket names only: cheap, for quota checks and existence. */
    List<String> bucketNames(InstanceAccess at);

    /** Names and creation times of every bucket: one call, no object listed. */
    List<BucketEntry> bucketEntries(InstanceAccess at);

    /** Whether the bucket holds nothing, not even a version or delete marker: one short listing. */
    boolean empty(InstanceAccess at, String name);

    /** Whether versioning is on: one call, no object listed. */
    boolean versioning(InstanceAccess at, String name);

    /**
     * Points the bucket's object events (created, removed, delete marker) at the instance's Berth webhook target
     * ({@link InstanceSpec#EVENT_TARGET}). False when the instance has no such target (made before it existed).
     */
    boolean watch(InstanceAccess at, String name);

    /** Every version and delete marker of the bucket, page after page: the reconciling listing, never on a request. */
    void listVersions(InstanceAccess at, String name, java.util.function.Consumer<UsageLedger.Listed> each);

    /**
     * Whether one version (or delete marker) of a key exists: listed from the key on, so it costs one request whatever
     * the bucket holds (unless the key has more than a page of versions). {@code versionId} "" is the null version.
     */
    boolean versionExists(InstanceAccess at, String bucket, String key, String versionId);

    /** The multipart uploads begun and neither completed nor aborted, with their parts' bytes: no object listed. */
    List<IncompleteUpload> incompleteUploads(InstanceAccess at, List<String> buckets);

    /** Name, creation and versioning; no object is listed, so size and count are 0 (the {@link UsageLedger} has them). */
    BucketInfo bucket(InstanceAccess at, String name);

    /** Whether the bucket exists: one cheap call, no listing. */
    boolean exists(InstanceAccess at, String name);

    void createBucket(InstanceAccess at, String name);

    /** Removes every object and version first: S3 only deletes empty buckets. */
    void deleteBucket(InstanceAccess at, String name);

    void setVersioning(InstanceAccess at, String name, boolean enabled);

    /** A service account of the instance's root user, limited by {@code policy} (IAM policy document as a map). */
    void createKey(InstanceAccess at, NewKey key);

    /**
     * Replaces a key's inline policy; takes effect for the next request made with the key. MinIO sets the key's status
     * in the same call, so the caller says whether it stays enabled.
     */
    void setKeyPolicy(InstanceAccess at, String accessKey, Map<String, Object> policy, boolean enabled);

    /** Enables or disables a key without deleting it. */
    void setKeyEnabled(InstanceAccess at, String accessKey, boolean enabled);

    /** Deletes a key; idempotent (an unknown key is not an error). */
    void deleteKey(InstanceAccess at, String accessKey);

    /**
     * What the instance holds, in one scan: the objects of every bucket (every version included) and the multipart
     * uploads begun but neither completed nor aborted, whose parts fill the volume as much as objects do.
     */
    Usage usage(InstanceAccess at);

    /** Bytes stored across all buckets, every version and every part of an incomplete upload included: what the hard limit is measured against. */
    default long usageBytes(InstanceAccess at) {
        return usage(at).totalBytes();
    }

    /**
     * Aborts one multipart upload: its parts are deleted, completed objects (even of the same key) are not touched.
     * Idempotent: an upload that is gone already (completed or aborted meanwhile) is not an error.
     */
    void abortUpload(InstanceAccess at, IncompleteUpload upload);

    /** Bytes of objects and of incomplete multipart uploads; {@code incomplete} lists the uploads. */
    record Usage(long objectBytes, List<IncompleteUpload> incomplete) {
        public Usage {
            incomplete = List.copyOf(incomplete);
        }

        public long incompleteBytes() {
            return incomplete.stream().mapToLong(IncompleteUpload::bytes).sum();
        }

        public long totalBytes() {
            return objectBytes + incompleteBytes();
        }
    }

    /** A multipart upload neither completed nor aborted: when it began and the bytes of the parts uploaded so far. */
    record IncompleteUpload(String bucket, String key, String uploadId, Instant initiated, long bytes) {
    }

    record BucketEntry(String name, Instant createdAt) {
    }

    record BucketInfo(String name, Instant createdAt, long sizeBytes, long objects, Instant lastModified,
                      boolean versioning) {
    }

    /** A key to create. {@code expiresAt} may be null (no expiry); {@code description} may be null. */
    record NewKey(String accessKey, String secretKey, Map<String, Object> policy, String description, Instant expiresAt) {
        @Override
        public String toString() { // never the secret
            return "NewKey[" + accessKey + "]";
        }
    }
}
