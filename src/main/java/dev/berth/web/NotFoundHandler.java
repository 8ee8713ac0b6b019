package dev.berth.web;

import io.vertx.core.json.Json;
import io.vertx.ext.web.Router;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.Response;

/** Paths that match no resource at all get the same 404 as the rest of Berth, not the server's bare one. */
public class NotFoundHandler {
    void install(@Observes Router router) {
        router.errorHandler(404, ctx -> {
            if (ctx.response().ended()) {
                return;
            }
            Response r = ErrorResponses.build(ctx, 404, "Not Found", ErrorMappers.defaultDetail(404), null);
            Object entity = r.getEntity();
            String body = entity instanceof String s ? s : Json.encode(entity);
            ctx.response().setStatusCode(404)
                    .putHeader("Content-Type", r.getMediaType().toString())
                    .end(body);
        });
    }
}
