package dev.berth.audit;

import dev.berth.common.Errors;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import jakarta.ws.rs.QueryParam;

/** Audit filters as they arrive in a query string, from the page's form or a script. */
public class AuditQuery {
    @QueryParam("tenant")
    public String tenant;
    @QueryParam("actor")
    public String actor;
    @QueryParam("action")
    public String action;
    @QueryParam("outcome")
    public String outcome;
    @QueryParam("from")
    public String from;
    @QueryParam("to")
    public String to;

    public AuditFilter toFilter() {
        var errors = new Errors();
        String t = errors.optional("tenant", tenant, 63);
        String a = errors.optional("actor", actor, 255);
        String act = errors.optional("action", action, 64);
        Outcome o = null;
        String oText = errors.optional("outcome", outcome, 16);
        if (oText != null) {
            try {
                o = Outcome.valueOf(oText.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                errors.add("outcome", "must be OK, DENIED or FAILED");
            }
        }
        Instant f = instant(errors, "from", from, false);
        Instant until = instant(errors, "to", to, true);
        if (f != null && until != null && !f.isBefore(until)) {
            errors.add("to", "must be after 'from'");
        }
        errors.throwIfAny();
        return new AuditFilter(t, a, act, o, f, until);
    }

    /** An instant, a local date-time (as a browser's datetime-local sends it) or a date, all read as UTC. */
    static Instant instant(Errors errors, String field, String text, boolean endOfDay) {
        String v = errors.optional(field, text, 40);
        if (v == null) {
            return null;
        }
        try {
            return Instant.parse(v);
        } catch (DateTimeParseException ignored) {
            // try the friendlier forms
        }
        try {
            return LocalDateTime.parse(v).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException ignored) {
            // try a date
        }
        try {
            LocalDate d = LocalDate.parse(v);
            return (endOfDay ? d.plusDays(1) : d).atStartOfDay().toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            errors.add(field, "'" + v + "' is not a date or time; write 2026-11-22 or 2026-11-22T14:30");
            return null;
        }
    }
}
