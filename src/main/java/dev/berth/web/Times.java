package dev.berth.web;

import io.quarkus.qute.TemplateExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/**
 * The one time format of every page: relative ("5 min ago") with the exact UTC time on hover, as
 * {@code <time datetime title>} (templates/time.html). static/js/time.js keeps the relative text current with the same
 * rule, so a page left open never says "21 s ago" for ever.
 */
public final class Times {
    private static final DateTimeFormatter EXACT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private Times() {
    }

    /** "just now", "42 s ago", "5 min ago", "3 h ago", "12 d ago", or "in …" for a time still to come. */
    public static String relative(Instant at, Instant now) {
        long s = Duration.between(at, now).toSeconds();
        boolean future = s < 0;
        long a = Math.abs(s);
        String span;
        if (a < 5) {
            return "just now";
        } else if (a < 90) {
            span = a + " s";
        } else if (a < 90 * 60) {
            span = Math.round(a / 60.0) + " min";
        } else if (a < 36 * 3600) {
            span = Math.round(a / 3600.0) + " h";
        } else {
            span = Math.round(a / 86400.0) + " d";
        }
        return future ? "in " + span : span + " ago";
    }

    @TemplateExtension
    static String relative(Instant at) {
        return relative(at, Instant.now());
    }

    /** "2026-12-01 02:10:22 UTC": to the second, never micro- or nanoseconds. */
    @TemplateExtension
    static String utc(Instant at) {
        return EXACT.format(at);
    }

    /** For the datetime attribute: "2026-12-01T02:10:22Z". */
    @TemplateExtension
    static String iso(Instant at) {
        return at.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
