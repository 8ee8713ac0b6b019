package dev.berth.tenancy;

import dev.berth.common.ByteSize;
import dev.berth.common.Errors;
import java.math.BigDecimal;

/** Checks a quota as typed: every field present, in range, sizes in units people use, soft ≤ hard. */
public final class QuotaRules {
    static final int MAX_COUNT = 100_000;
    static final long MIN_CONTAINER_MEMORY = 128L * 1024 * 1024; // MinIO does not start in less
    static final int MAX_MILLICPUS = 1024_000;

    private QuotaRules() {
    }

    public static QuotaLimits validate(QuotaInput in) {
        var errors = new Errors();
        int vms = count(errors, "vms", in.vms());
        int vcpus = count(errors, "vcpus", in.vcpus());
        long memory = size(errors, "memory", in.memory());
        int buckets = count(errors, "buckets", in.buckets());
        long soft = size(errors, "storageSoft", in.storageSoft());
        long hard = size(errors, "storageHard", in.storageHard());
        int keys = count(errors, "accessKeys", in.accessKeys());
        int milliCpus = cpus(errors, "containerCpus", in.containerCpus());
        long containerMemory = size(errors, "containerMemory", in.containerMemory());
        long readBps = size(errors, "containerReadBps", in.containerReadBps());
        long writeBps = size(errors, "containerWriteBps", in.containerWriteBps());
        long networkRate = 0;
        try {
            networkRate = dev.berth.common.Bandwidth.parse(in.networkBandwidth()); // absent: unlimited
        } catch (IllegalArgumentException e) {
            errors.add("networkBandwidth", e.getMessage());
        }
        // absent (a caller from before the disk quota; TenantService fills in the default): no disk
        long disk = in.disk() == null ? 0 : size(errors, "disk", in.disk());
        if (!errors.has("storageSoft") && !errors.has("storageHard") && soft > hard) {
            errors.add("storageSoft", "must not be larger than the hard limit (" + ByteSize.format(hard) + ")");
        }
        if (!errors.has("containerMemory") && containerMemory < MIN_CONTAINER_MEMORY) {
            errors.add("containerMemory", "must be at least " + ByteSize.format(MIN_CONTAINER_MEMORY) + " for MinIO to run");
        }
        errors.throwIfAny();
        return new QuotaLimits(vms, vcpus, memory, buckets, soft, hard, keys, milliCpus, containerMemory, readBps, writeBps,
                networkRate, disk);
    }

    private static int count(Errors errors, String field, String text) {
        if (text == null || text.isBlank()) {
            errors.add(field, "is required");
            return 0;
        }
        try {
            long n = Long.parseLong(text.trim());
            if (n < 0) {
                errors.add(field, "must not be negative");
            } else if (n > MAX_COUNT) {
                errors.add(field, "must be at most " + MAX_COUNT);
            }
            return (int) Math.max(0, Math.min(n, MAX_COUNT));
        } catch (NumberFormatException e) {
            errors.add(field, "'" + text.trim() + "' is not a whole number");
            return 0;
        }
    }

    private static long size(Errors errors, String field, String text) {
        if (text != null && text.trim().startsWith("-")) {
            errors.add(field, "must not be negative");
            return 0;
        }
        try {
            return ByteSize.parse(text);
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
            return 0;
        }
    }

    private static int cpus(Errors errors, String field, String text) {
        if (text == null || text.isBlank()) {
            errors.add(field, "is required");
            return 0;
        }
        try {
            BigDecimal cpus = new BigDecimal(text.trim());
            BigDecimal milli = cpus.movePointRight(3);
            if (cpus.signum() <= 0) {
                errors.add(field, "must be more than 0");
            } else if (milli.stripTrailingZeros().scale() > 0) {
                errors.add(field, "has more than three decimals");
            } else if (milli.compareTo(BigDecimal.valueOf(MAX_MILLICPUS)) > 0) {
                errors.add(field, "must be at most " + MAX_MILLICPUS / 1000);
            } else {
                return milli.intValueExact();
            }
        } catch (NumberFormatException | ArithmeticException e) {
            errors.add(field, "'" + text.trim() + "' is not a number of CPUs such as 1 or 1.5");
        }
        return 0;
    }
}
