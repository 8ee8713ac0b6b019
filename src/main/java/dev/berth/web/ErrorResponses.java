package dev.berth.web;

import dev.berth.common.FieldError;
import dev.berth.common.RequestIds;
import io.vertx.core.json.Json;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * One place that turns an error into what the caller can read: RFC 9457 problem+json for the API (and for
 * clients that ask for JSON), an HTML page for people.
 */
public final class ErrorResponses {
    private ErrorResponses() {
    }

    public static boolean wantsProblem(String path, String accept) {
        if (path != null && (path.equals("/api") || path.startsWith("/api/"))) {
            return true;
        }
        return accept != null && (accept.contains("application/json") || accept.contains("problem+json"))
                && !accept.contains("text/html");
    }

    public static Response build(RoutingContext ctx, int status, String title, String detail, List<FieldError> errors) {
        String path = ctx == null ? null : ctx.request().path();
        String requestId = RequestIds.of(ctx);
        if (wantsProblem(path, ctx == null ? null : ctx.request().getHeader("Accept"))) {
            var problem = new Problem("about:blank", title, status, detail, path, requestId, errors);
            return Response.status(status).type(Problem.MEDIA_TYPE).entity(problem)
                    .header(RequestIds.HEADER, requestId).build();
        }
        String html = Pages.error(status, title, detail, requestId).render();
        return Response.status(status).type("text/html;charset=UTF-8").entity(html)
                .header(RequestIds.HEADER, requestId).build();
    }

    /** The same answer written straight to Vert.x, for handlers that run before (or outside) JAX-RS. */
    public static void send(RoutingContext ctx, int status, String title, String detail) {
        Response r = build(ctx, status, title, detail, null);
        Object entity = r.getEntity();
        String body = entity instanceof String s ? s : Json.encode(entity);
        ctx.response().setStatusCode(status)
                .putHeader("Content-Type", r.getMediaType().toString())
                .end(body);
    }

    public static String title(int status) {
        Response.Status known = Response.Status.fromStatusCode(status);
        return known != null ? known.getReasonPhrase() : "Error";
    }
}
