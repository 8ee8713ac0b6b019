package dev.berth.tenancy;

import dev.berth.common.ByteSize;
import io.quarkus.qute.TemplateData;
import java.util.List;

/** One usage bar: how much of a limit is used, and whether that is fine, a warning or at the limit. */
@TemplateData
public record Meter(String name, String used, String limit, int percent, Level level) {
    public enum Level { OK, WARNING, FULL }

    /** The bar's colour class. */
    public String css() {
        return switch (level) {
            case OK -> "";
            case WARNING -> "berth-warning";
            case FULL -> "berth-full";
        };
    }

    /** Past this share of a count limit a bar turns amber; storage uses the tenant's own soft limit. */
    static final int WARN_PERCENT = 80;

    public static List<Meter> of(QuotaLimits q, TenantUsage u) {
        return List.of(
                count("Machines", u.vms(), q.vms()),
                count("vCPUs", u.vcpus(), q.vcpus()),
                bytes("Memory", u.memoryBytes(), q.memoryBytes(), warnAt(q.memoryBytes())),
                count("Buckets", u.buckets(), q.buckets()),
                bytes("Storage", u.storageBytes(), q.storageHardBytes(), q.storageSoftBytes()),
                count("Access keys", u.accessKeys(), q.accessKeys()),
                bytes("Machine disk", u.diskBytes(), q.diskBytes(), warnAt(q.diskBytes())));
    }

    private static Meter count(String name, long used, long limit) {
        return new Meter(name, String.valueOf(used), String.valueOf(limit), percent(used, limit), level(used, limit, warnAt(limit)));
    }

    private static Meter bytes(String name, long used, long limit, long warn) {
        return new Meter(name, ByteSize.format(used), ByteSize.format(limit), percent(used, limit), level(used, limit, warn));
    }

    private static long warnAt(long limit) {
        return limit * WARN_PERCENT / 100;
    }

    private static int percent(long used, long limit) {
        if (limit <= 0) {
            return used > 0 ? 100 : 0;
        }
        return (int) Math.min(100, used * 100 / limit);
    }

    private static Level level(long used, long limit, long warn) {
        if (used > 0 && used >= limit) {
            return Level.FULL;
        }
        return used > warn ? Level.WARNING : Level.OK;
    }
}
