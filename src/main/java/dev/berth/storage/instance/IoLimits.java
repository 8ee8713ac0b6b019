package dev.berth.storage.instance;

/**
 * What an instance's block-I/O rates bound, by the host's cgroup version (the engine's {@code /info} CgroupVersion).
 * Pure; the admin storage page shows it per Docker host.
 *
 * <ul>
 * <li>cgroup v2: {@code io.max} throttles reads and writes of the instance's cgroup, buffered writeback included
 * (writeback is charged to the cgroup that dirtied the pages).</li>
 * <li>cgroup v1: {@code blkio.throttle.*} meters only I/O the container issues itself: reads, and direct
 * ({@code O_DIRECT}) writes — MinIO writes large objects so. Buffered writes land in the page cache unthrottled and are
 * flushed later by the kernel's flusher threads, outside the container's cgroup, at the device's full speed. What bounds
 * them there is the memory limit: the page cache a container dirties is charged to its memory cgroup, so it can hold at
 * most about its memory limit of dirty data before its own writes wait for writeback.</li>
 * </ul>
 */
public final class IoLimits {
    private IoLimits() {
    }

    public static boolean bufferedWritesThrottled(String cgroupVersion) {
        return "2".equals(cgroupVersion);
    }

    public static String explain(String cgroupVersion) {
        if ("2".equals(cgroupVersion)) {
            return "cgroup v2: the read and write rates (io.max) throttle all of an instance's disk I/O, buffered writes included.";
        }
        if ("1".equals(cgroupVersion)) {
            return "cgroup v1: the rates throttle reads and direct writes only (MinIO writes large objects directly). Buffered"
                    + " writes (small objects, metadata) are not throttled: the kernel flushes them later at the disk's full speed."
                    + " They are bounded by the instance's memory limit instead: it cannot hold more dirty data than that.";
        }
        return "The engine did not say which cgroup version it uses; the rates' meaning is unknown.";
    }
}
