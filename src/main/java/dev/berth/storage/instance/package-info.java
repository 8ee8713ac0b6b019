/**
 * A tenant's MinIO instance from request to removal: the row and its states, placement on a Docker host, the
 * container-runtime port and its docker-java adapter, the reconciler that converges what is recorded with what runs
 * (with claims so that one replica works on an instance at a time), readiness checks, the TLS authority and the
 * instances' certificates, and the bandwidth and I/O limits (traffic shaping with tc); plus the storage page and API of
 * a tenant and an administrator.
 */
package dev.berth.storage.instance;
