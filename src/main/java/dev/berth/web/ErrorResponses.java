package dev.berth.web;

import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One place that turns an error into what the caller can read: RFC 9457 problem+json for the API (and for
 * clients that ask for JSON), an HTML page for people.
 */
public final class ErrorResponses {
    private static final Pattern SAFE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private ErrorResponses() {
    }

    public static boolean wantsProblem(String path, String accept) {
        if (path != null && (path.equals("/api") || path.startsWith("/api/"))) {
            return true;
        }
        return accept != null && (accept.contains("application/json") || accept.contains("problem+json"))
                && !accept.contains("text/html");
    }

    /** The caller's request id when it is a harmless token, else a fresh one: it ends up in logs and pages. */
    public static String requestId(HttpServerRequest request) {
        String given = request == null ? null : request.getHeader("X-Request-Id");
        return given != null && SAFE_REQUEST_ID.matcher(given).matches() ? given : UUID.randomUUID().toString();
    }

    public static Response build(HttpServerRequest request, int status, String title, String detail,
                                 List<Problem.FieldError> errors) {
        String path = request == null ? null : request.path();
        String requestId = requestId(request);
        if (wantsProblem(path, request == null ? null : request.getHeader("Accept"))) {
            var problem = new Problem("about:blank", title, status, detail, path, requestId, errors);
            return Response.status(status).type(Problem.MEDIA_TYPE).entity(problem)
                    .header("X-Request-Id", requestId).build();
        }
        String html = Pages.error(status, title, detail, requestId).render();
        return Response.status(status).type("text/html;charset=UTF-8").entity(html)
                .header("X-Request-Id", requestId).build();
    }

    public static String title(int status) {
        Response.Status known = Response.Status.fromStatusCode(status);
        return known != null ? known.getReasonPhrase() : "Error";
    }
}
