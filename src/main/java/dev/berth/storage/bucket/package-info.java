/**
 * Buckets inside a tenant's ready instance: creating, listing and removing them under the tenant's quota, the rules
 * for buckets and their keys as plain decisions (S3 naming, descriptions, key modes and expiry, quotas), and the bucket
 * pages and API. The service also issues and revokes a bucket's access keys, whose records, policies and mount
 * instructions live in {@code storage.key}.
 */
package dev.berth.storage.bucket;
