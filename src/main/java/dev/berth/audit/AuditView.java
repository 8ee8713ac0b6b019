package dev.berth.audit;

import java.time.Instant;

/** One audit event as pages, the API and the CSV export show it. */
public record AuditView(long id, Instant at, String actor, String tenant, String action, String target,
                        Outcome outcome, String reason, String requestId) {
    static AuditView of(AuditEvent e) {
        return new AuditView(e.id, e.at, e.actor, e.tenant, e.action, e.target, e.outcome, e.reason, e.requestId);
    }
}
