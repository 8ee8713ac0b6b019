package dev.berth.tenancy;

/** What a tenant uses now, to compare with its quota. */
public record TenantUsage(int vms, int vcpus, long memoryBytes, int buckets, long storageBytes, int accessKeys, long diskBytes) {
    public static final TenantUsage NONE = new TenantUsage(0, 0, 0, 0, 0, 0, 0);

    /** Without disk: sources that hold none. */
    public TenantUsage(int vms, int vcpus, long memoryBytes, int buckets, long storageBytes, int accessKeys) {
        this(vms, vcpus, memoryBytes, buckets, storageBytes, accessKeys, 0);
    }

    public TenantUsage plus(TenantUsage o) {
        return new TenantUsage(vms + o.vms, vcpus + o.vcpus, memoryBytes + o.memoryBytes, buckets + o.buckets,
                storageBytes + o.storageBytes, accessKeys + o.accessKeys, diskBytes + o.diskBytes);
    }
}
