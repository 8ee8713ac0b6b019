package dev.berth.common;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.support.Api;
import dev.berth.support.DemoUser;
import dev.berth.support.Storage;
import io.quarkus.test.junit.QuarkusTest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Filter;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.LogContext;
import org.jboss.logmanager.handlers.ConsoleHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The reported attack: a bucket name with a newline and a fake log prefix, refused by the API, must not write a log
 * line of its own. The lines are what Berth's own console handler makes of each record: its filter and formatter, as
 * configured, applied to everything logged during the request.
 */
@QuarkusTest
class LogForgingTest {
    static final String MARK = "FORGED-" + Long.toString(System.nanoTime(), 36);

    @AfterAll
    static void removeStorage() {
        Storage.remove("acme");
    }

    @Test
    void aRejectedBucketNameWithANewlineStaysOnItsLine() {
        Storage.ready("acme");
        ConsoleHandler console = console(LogContext.getLogContext().getLogger("").getHandlers());
        assertNotNull(console, "Berth's console handler");
        Filter filter = console.getFilter();
        Formatter formatter = console.getFormatter();
        List<String> lines = new CopyOnWriteArrayList<>();
        Handler capture = new ExtHandler() {
            @Override
            protected void doPublish(ExtLogRecord record) {
                if (filter == null || filter.isLoggable(record)) {
                    lines.add(formatter.format(record));
                }
            }
        };
        var root = LogContext.getLogContext().getLogger("");
        root.addHandler(capture);
        try {
            String name = "data\n12:00:00,000 INFO  [d.b.a.AuditLog] (executor-thread-1) [req=x] audit OK carol " + MARK + "\r\rok";
            Api.as(DemoUser.ALICE).body(Map.of("name", name)).when().post("/api/v1/buckets")
                    .then().statusCode(400).body("status", equalTo(400));
        } finally {
            root.removeHandler(capture);
        }
        List<String> mine = lines.stream().filter(l -> l.contains(MARK)).toList();
        assertFalse(mine.isEmpty(), "the refusal is logged (the audit line) with the name: " + lines);
        for (String line : mine) {
            String body = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
            assertFalse(body.contains("\n") || body.contains("\r"), "one record, one line: " + line);
            assertTrue(body.contains("data\\n12:00:00,000") && body.contains("\\r\\rok"), "escaped, still readable: " + line);
        }
    }

    /** Quarkus puts its console handler under a delayed handler on the root logger. */
    private static ConsoleHandler console(Handler[] handlers) {
        for (Handler h : handlers) {
            if (h instanceof ConsoleHandler c) {
                return c;
            }
            if (h instanceof ExtHandler ext) {
                ConsoleHandler c = console(ext.getHandlers());
                if (c != null) {
                    return c;
                }
            }
        }
        return null;
    }
}
