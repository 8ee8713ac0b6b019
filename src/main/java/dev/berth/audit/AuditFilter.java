package dev.berth.audit;

import java.time.Instant;

/** Which events to show; null fields do not filter. Actor and action match as prefixes, ignoring case. */
public record AuditFilter(String tenant, String actor, String action, Outcome outcome, Instant from, Instant to) {
    public static AuditFilter none() {
        return new AuditFilter(null, null, null, null, null, null);
    }
}
