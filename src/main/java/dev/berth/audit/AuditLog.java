package dev.berth.audit;

import dev.berth.common.BerthMeters;
import dev.berth.common.RequestIds;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * Who did what, when, with what outcome. Each event is written in its own transaction, so a change that
 * fails and rolls back still leaves its FAILED event behind.
 */
@ApplicationScoped
public class AuditLog {
    private static final Logger LOG = Logger.getLogger(AuditLog.class);
    private static final int REASON_MAX = 2000;

    /**
     * As {@link #record}, but never blocks the caller: for code that may run on an I/O thread (refusals
     * raised by the security layer before a request reaches a worker thread).
     */
    public void recordSoon(String actor, String tenant, String action, String target, Outcome outcome, String reason,
                           String requestId) {
        if (io.vertx.core.Context.isOnEventLoopThread()) {
            Thread.ofVirtual().name("audit").start(() -> {
                MDC.put(RequestIds.MDC_KEY, requestId); // a fresh thread: carry the request id into its log line
                try {
                    record(actor, tenant, action, target, outcome, reason, requestId);
                } finally {
                    MDC.remove(RequestIds.MDC_KEY);
                }
            });
        } else {
            record(actor, tenant, action, target, outcome, reason, requestId);
        }
    }

    public void record(String actor, String tenant, String action, String target, Outcome outcome, String reason,
                       String requestId) {
        QuarkusTransaction.requiringNew().run(() -> {
            var e = new AuditEvent();
            e.at = Instant.now();
            e.actor = actor == null || actor.isBlank() ? "anonymous" : truncate(actor, 255);
            e.tenant = truncate(tenant, 63);
            e.action = truncate(action, 64);
            e.target = truncate(target, 500);
            e.outcome = outcome;
            e.reason = truncate(reason, REASON_MAX);
            e.requestId = requestId;
            e.persist();
        });
        if (outcome == Outcome.DENIED) {
            BerthMeters.denied(action);
        }
        LOG.infof("audit %s %s %s %s tenant=%s request=%s", outcome, actor, action, target, tenant, requestId);
    }

    public record Page(List<AuditView> items, int page, int size, long total) {
        public int pages() {
            return (int) Math.max(1, (total + size - 1) / size);
        }
    }

    public Page search(AuditFilter filter, int page, int size) {
        return QuarkusTransaction.joiningExisting().call(() -> {
            var q = query(filter);
            var panache = AuditEvent.<AuditEvent>find(q.where, Sort.descending("at", "id"), q.params);
            long total = panache.count();
            List<AuditView> items = panache.page(page, size).list().stream().map(AuditView::of).toList();
            return new Page(items, page, size, total);
        });
    }

    /** Streams every matching event, newest first, in batches: the CSV export never holds the whole log. */
    public void forEach(AuditFilter filter, Consumer<AuditView> sink) {
        int batch = 500;
        for (int page = 0; ; page++) {
            Page p = search(filter, page, batch);
            p.items().forEach(sink);
            if (p.items().size() < batch) {
                return;
            }
        }
    }

    private record Query(String where, Parameters params) {
    }

    private static Query query(AuditFilter f) {
        var clauses = new ArrayList<String>();
        var params = new Parameters();
        if (f.tenant() != null) {
            clauses.add("tenant = :tenant");
            params.and("tenant", f.tenant());
        }
        if (f.actor() != null) {
            clauses.add("lower(actor) like :actor escape '\\'");
            params.and("actor", likePrefix(f.actor()));
        }
        if (f.action() != null) {
            clauses.add("lower(action) like :action escape '\\'");
            params.and("action", likePrefix(f.action()));
        }
        if (f.outcome() != null) {
            clauses.add("outcome = :outcome");
            params.and("outcome", f.outcome());
        }
        if (f.from() != null) {
            clauses.add("at >= :from");
            params.and("from", f.from());
        }
        if (f.to() != null) {
            clauses.add("at < :to");
            params.and("to", f.to());
        }
        return new Query(clauses.isEmpty() ? "1 = 1" : String.join(" and ", clauses), params);
    }

    private static String likePrefix(String text) {
        String escaped = text.toLowerCase(Locale.ROOT).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
        return escaped + "%";
    }

    /**
     * Bounded, and storable whatever a user typed: PostgreSQL refuses NUL in text, and a refused audit row would lose
     * the record of the very request that carried it.
     */
    private static String truncate(String s, int max) {
        return s == null ? null : org.apache.commons.lang3.StringUtils.abbreviate(s.replace("\0", "\\0"), "…", max);
    }
}
