package dev.berth.web;

import dev.berth.common.RequestIds;
import io.quarkus.vertx.http.runtime.filters.Filters;
import jakarta.enterprise.event.Observes;

/** Gives every response its request id, before anything else runs. */
public class RequestIdFilter {
    void register(@Observes Filters filters) {
        filters.register(ctx -> {
            ctx.response().putHeader(RequestIds.HEADER, RequestIds.of(ctx));
            ctx.next();
        }, 1000);
    }
}
