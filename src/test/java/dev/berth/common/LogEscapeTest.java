package dev.berth.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;
import dev.berth.support.DatabasePass;

/** The escaping filter on records as the plain console format prints them. */
@Tag(DatabasePass.INDEPENDENT)
class LogEscapeTest {
    static final PatternFormatter PLAIN = new PatternFormatter("%-5p [%c] %s%e%n");
    static final String FORGED = "x\n12:00:00,000 INFO  [dev.berth.audit.AuditLog] audit OK carol host.delete all";

    private static ExtLogRecord record(String format, Object... params) {
        var r = new ExtLogRecord(Level.INFO, format, ExtLogRecord.FormatStyle.PRINTF, LogEscapeTest.class.getName());
        r.setLoggerName("dev.berth.test");
        r.setParameters(params);
        return r;
    }

    private static String printed(ExtLogRecord r, boolean json) {
        assertTrue(new LogEscape(json).isLoggable(r), "records are never dropped");
        return PLAIN.format(r);
    }

    @Test
    void aUserValueCannotStartALineOfItsOwn() {
        String line = printed(record("audit %s %s", "FAILED", FORGED), false);
        assertEquals("INFO  [dev.berth.test] audit FAILED x\\n12:00:00,000 INFO  [dev.berth.audit.AuditLog] audit OK carol host.delete all\n", line);
    }

    @Test
    void carriageReturnsAndOtherControlCharactersAreEscapedTabsKept() {
        String line = printed(record("name %s", "a\rb\u001b[31mc\u0000d\te\u2028f\u0085g"), false);
        assertEquals("INFO  [dev.berth.test] name a\\rb\\u001b[31mc\\u0000d\te\\u2028f\\u0085g\n", line);
    }

    @Test
    void escapingTwiceChangesNothing() {
        var r = record("v=%s", FORGED);
        String once = printed(r, false);
        assertEquals(once, printed(r, false));
    }

    @Test
    void aCleanRecordIsLeftAsItIs() {
        var r = record("host %s answered in %d ms", "kvm-a", 12);
        assertEquals("INFO  [dev.berth.test] host kvm-a answered in 12 ms\n", printed(r, false));
        assertEquals(ExtLogRecord.FormatStyle.PRINTF, r.getFormatStyle());
        assertSame("plain", LogEscape.escape("plain"));
    }

    @Test
    void anExceptionMessageIsEscapedAndItsTraceKept() {
        var cause = new IllegalArgumentException("bad name " + FORGED);
        var r = record("Unexpected error on %s", "POST /api/v1/buckets");
        r.setThrown(new IllegalStateException("wrapped", cause));
        String printed = printed(r, false);
        String[] lines = printed.split("\n");
        assertEquals("INFO  [dev.berth.test] Unexpected error on POST /api/v1/buckets: java.lang.IllegalStateException: wrapped", lines[0]);
        assertTrue(lines[1].startsWith("\tat dev.berth.common.LogEscapeTest."), lines[1]);
        assertTrue(printed.contains("Caused by: java.lang.IllegalArgumentException: bad name x\\n12:00:00,000 INFO  [dev.berth.audit.AuditLog] audit OK carol host.delete all\n"), printed);
        for (String line : lines) {
            assertFalse(line.startsWith("12:00:00"), "a forged line: " + printed);
        }
    }

    @Test
    void jsonLinesAreLeftToTheJsonFormatter() {
        var r = record("v=%s", FORGED);
        new LogEscape(true).isLoggable(r);
        assertTrue(r.getFormattedMessage().contains("\n"), "JSON escapes by itself");
    }
}
