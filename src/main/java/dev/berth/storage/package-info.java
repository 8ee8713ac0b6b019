/** Per-tenant MinIO instances on Docker hosts: container-runtime port, lifecycle, buckets, access keys. */
package dev.berth.storage;
