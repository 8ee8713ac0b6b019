package dev.berth.web;

import dev.berth.common.RequestIds;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.MDC;

/**
 * Gives every response its request id, before anything else runs, and every log line of the request too: the id
 * goes into the logging MDC, which Quarkus keeps on the request's (duplicated) Vert.x context, so lines written on
 * worker or virtual threads for this request carry it as well.
 */
public class RequestIdFilter {
    void register(@Observes Filters filters) {
        filters.register(ctx -> {
            String id = RequestIds.of(ctx);
            ctx.response().putHeader(RequestIds.HEADER, id);
            MDC.put(RequestIds.MDC_KEY, id);
            ctx.addEndHandler(done -> MDC.remove(RequestIds.MDC_KEY));
            ctx.next();
        }, 1000);
    }
}
