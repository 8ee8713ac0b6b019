package dev.berth.common;

import io.quarkus.logging.LoggingFilter;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.eclipse.microprofile.config.ConfigProvider;
import org.jboss.logmanager.ExtLogRecord;

/**
 * One log record, one line: escapes CR, LF and the other control characters (tab excepted) in the message and in the
 * messages of a logged exception, so a value that came from a user (a bucket name, a header, a libvirt domain name)
 * cannot start a line of its own that reads like another record. Installed on the console handler
 * ({@code quarkus.log.console.filter}), so every plain line is covered whichever call wrote it. JSON lines escape by
 * themselves: with JSON logging on, records pass unchanged.
 *
 * <p>A newline becomes {@code \n}, a carriage return {@code \r}, any other control character {@code \}{@code uXXXX}.
 * Backslashes are left alone, so a literal {@code \n} typed by a user looks the same as an escaped newline; it can
 * never break the line.
 */
@LoggingFilter(name = LogEscape.NAME)
public final class LogEscape implements Filter {
    public static final String NAME = "berth-log-escape";

    private final boolean json;

    public LogEscape() {
        boolean j;
        try {
            j = ConfigProvider.getConfig().getOptionalValue("quarkus.log.console.json.enabled", Boolean.class).orElse(false);
        } catch (RuntimeException | LinkageError e) {
            j = false; // no configuration (yet): plain lines, the safe side
        }
        json = j;
    }

    LogEscape(boolean json) {
        this.json = json;
    }

    @Override
    public boolean isLoggable(LogRecord record) {
        if (json) {
            return true;
        }
        String message = formatted(record);
        if (message != null) {
            String escaped = escape(message);
            if (!escaped.equals(message)) {
                // The escaped text is the whole message now: parameters are already in it (and idempotent: escaping
                // it again changes nothing, whichever handler sees the record next).
                if (record instanceof ExtLogRecord ext) {
                    ext.setMessage(escaped, ExtLogRecord.FormatStyle.NO_FORMAT);
                } else {
                    record.setMessage(escaped);
                }
                record.setParameters(null);
                record.setResourceBundle(null);
            }
        }
        Throwable thrown = record.getThrown();
        if (thrown != null && needsEscape(thrown, Collections.newSetFromMap(new IdentityHashMap<>()))) {
            record.setThrown(copy(thrown, Collections.newSetFromMap(new IdentityHashMap<>())));
        }
        return true;
    }

    @SuppressWarnings("deprecation") // the message as the formatter's %s renders it
    private static String formatted(LogRecord record) {
        try {
            return record instanceof ExtLogRecord ext ? ext.getFormattedMessage() : record.getMessage();
        } catch (RuntimeException e) {
            return record.getMessage(); // a broken format string: the formatter shows the raw message as well
        }
    }

    /** The text with every control character but tab escaped; the same instance when there is none. */
    public static String escape(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String replacement = switch (c) {
                case '\n' -> "\\n";
                case '\r' -> "\\r";
                default -> c != '\t' && (Character.isISOControl(c) || c == '\u2028' || c == '\u2029')
                        ? String.format("\\u%04x", (int) c) : null;
            };
            if (replacement != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? text : out.toString();
    }

    private static boolean needsEscape(Throwable t, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return false;
        }
        String text = t.toString();
        if (text != null && !escape(text).equals(text)) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (needsEscape(s, seen)) {
                return true;
            }
        }
        return needsEscape(t.getCause(), seen);
    }

    /** The exception as the formatter prints it (class and message, frames, causes, suppressed), messages escaped. */
    private static Throwable copy(Throwable t, Set<Throwable> seen) {
        if (t == null || !seen.add(t)) {
            return null;
        }
        Escaped copy = new Escaped(escape(t.toString()), copy(t.getCause(), seen), t.getStackTrace());
        for (Throwable s : t.getSuppressed()) {
            Throwable c = copy(s, seen);
            if (c != null) {
                copy.addSuppressed(c);
            }
        }
        return copy;
    }

    /** Prints as the original did ({@code toString()}: class name and message), with the message escaped. */
    static final class Escaped extends Throwable {
        private final String text;

        Escaped(String text, Throwable cause, StackTraceElement[] stack) {
            super(text, cause, true, true);
            this.text = text;
            setStackTrace(stack);
        }

        @Override
        public String toString() {
            return text;
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this; // the original's frames are set instead
        }
    }
}
