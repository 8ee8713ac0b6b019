package dev.berth.web;

import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;

/** Paths that match no resource at all get the same 404 as the rest of Berth, not the server's bare one. */
public class NotFoundHandler {
    void install(@Observes Router router) {
        router.errorHandler(404, ctx -> {
            if (ctx.response().ended()) {
                return;
            }
            ErrorResponses.send(ctx, 404, "Not Found", ErrorMappers.defaultDetail(404));
        });
    }
}
