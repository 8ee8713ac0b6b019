package dev.berth.audit;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** The audit log as CSV (RFC 4180 via Commons CSV), streamed in batches. */
final class AuditCsv {
    private static final String[] HEADER = {"id", "time", "actor", "tenant", "action", "target", "outcome", "reason", "request_id"};

    private AuditCsv() {
    }

    static Response response(AuditLog audit, AuditFilter filter) {
        StreamingOutput body = out -> {
            var writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
            try (var csv = new CSVPrinter(writer, CSVFormat.RFC4180.builder().setHeader(HEADER).build())) {
                audit.forEach(filter, e -> {
                    try {
                        csv.printRecord(e.id(), e.at(), safe(e.actor()), safe(e.tenant()), safe(e.action()), safe(e.target()),
                                e.outcome(), safe(e.reason()), e.requestId());
                    } catch (IOException ex) {
                        throw new UncheckedIOException(ex);
                    }
                });
            }
        };
        String name = "berth-audit-" + Instant.now().truncatedTo(ChronoUnit.SECONDS).toString().replace(':', '-') + ".csv";
        return Response.ok(body, "text/csv;charset=UTF-8")
                .header("Content-Disposition", "attachment; filename=\"" + name + "\"").build();
    }

    /** Spreadsheet programs run cells that start with = + - @ as formulas; a leading quote keeps them text. */
    static String safe(String value) {
        if (value != null && !value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0) {
            return "'" + value;
        }
        return value;
    }
}
