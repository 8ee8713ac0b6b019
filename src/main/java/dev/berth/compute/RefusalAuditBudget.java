package dev.berth.compute;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * How many refused console tickets are written to the audit log: at most {@code perSource} per source address and
 * {@code total} overall in each minute (fixed windows, per replica). Anyone can open the console WebSocket with a
 * junk ticket, so without a bound anonymous clients would grow the audit table as fast as they can connect; every
 * refusal is still counted in a metric. An IPv6 source counts by its /64, which one client usually has whole.
 *
 * <p>Memory is bounded: a window holds at most {@code total} sources (a source enters only when it is granted an
 * audit row), and the map is dropped when the minute changes. Thread-safe.
 */
final class RefusalAuditBudget {
    /**
     * What a refusal gets. {@code overBound} names the bound a refusal is the first to go over in this window, once
     * per source ("address") and once in all ("total"), so that is logged once; else null.
     */
    record Decision(boolean audit, String overBound) {
    }

    private final int perSource;
    private final int total;
    private long window = Long.MIN_VALUE;
    private int used;
    private boolean totalReported;
    private final Map<String, Integer> bySource = new HashMap<>();

    RefusalAuditBudget(int perSource, int total) {
        if (perSource < 0 || total < 0) {
            throw new IllegalArgumentException("audit bounds must not be negative: " + perSource + ", " + total);
        }
        this.perSource = perSource;
        this.total = total;
    }

    synchronized Decision take(String source, Instant now) {
        long minute = Math.floorDiv(now.getEpochSecond(), 60);
        if (minute != window) { // a new window: the old one is forgotten whole
            window = minute;
            used = 0;
            totalReported = false;
            bySource.clear();
        }
        String key = key(source);
        Integer before = bySource.get(key);
        int count = before == null ? 0 : before;
        if (count >= perSource) {
            if (before != null && count == perSource) {
                bySource.put(key, count + 1); // remembered as reported; the map does not grow by it
                return new Decision(false, "address");
            }
            return new Decision(false, null);
        }
        if (used >= total) {
            boolean first = !totalReported;
            totalReported = true;
            return new Decision(false, first ? "total" : null);
        }
        used++;
        bySource.put(key, count + 1);
        return new Decision(true, null);
    }

    /** Sources tracked in the current window (never more than {@code total}). */
    synchronized int tracked() {
        return bySource.size();
    }

    /** Forgets the current window (tests that used it up). */
    synchronized void reset() {
        window = Long.MIN_VALUE;
    }

    /** The key a source counts under: an IPv4 address, an IPv6 /64, or the text as given when it is not an address. */
    static String key(String source) {
        if (source == null || source.isBlank()) {
            return "unknown";
        }
        String s = source.trim();
        if (s.indexOf(':') < 0) {
            return s;
        }
        try {
            // bracketed, the JDK parses it as an IPv6 literal or refuses it: never a DNS lookup
            byte[] a = InetAddress.getByName(s.startsWith("[") ? s : "[" + s + "]").getAddress();
            if (a.length == 4) { // an IPv4-mapped IPv6 address
                return InetAddress.getByAddress(a).getHostAddress();
            }
            StringBuilder prefix = new StringBuilder();
            for (int i = 0; i < 8; i += 2) {
                prefix.append(Integer.toHexString(((a[i] & 0xff) << 8) | (a[i + 1] & 0xff))).append(':');
            }
            return prefix.append(":/64").toString();
        } catch (UnknownHostException | RuntimeException e) {
            return s;
        }
    }
}
