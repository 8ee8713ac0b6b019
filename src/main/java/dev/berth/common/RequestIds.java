package dev.berth.common;

import io.vertx.ext.web.RoutingContext;
import java.util.UUID;
import java.util.regex.Pattern;

/** One id per request: taken from a harmless X-Request-Id, else made here; it ties logs, audit events and error pages together. */
public final class RequestIds {
    public static final String HEADER = "X-Request-Id";
    /** The logging MDC key: {@code %X{requestId}} in plain lines, {@code mdc.requestId} in JSON lines. */
    public static final String MDC_KEY = "requestId";
    private static final String KEY = "berth.requestId";
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private RequestIds() {
    }

    public static String of(RoutingContext ctx) {
        if (ctx == null) {
            return UUID.randomUUID().toString();
        }
        String id = ctx.get(KEY);
        if (id == null) {
            String given = ctx.request().getHeader(HEADER);
            id = given != null && SAFE.matcher(given).matches() ? given : UUID.randomUUID().toString();
            ctx.put(KEY, id);
        }
        return id;
    }
}
