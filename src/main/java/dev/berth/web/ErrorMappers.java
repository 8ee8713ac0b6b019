package dev.berth.web;

import dev.berth.tenancy.Membership;
import io.quarkus.security.ForbiddenException;
import io.vertx.core.http.HttpServerRequest;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.ConstraintViolationException;
import jakarta.validation.Path;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps every error a page or API call can raise to a clear answer; nothing escapes as a bare 500. */
public class ErrorMappers {
    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e, HttpServerRequest request) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e, request);
        }
        if (status == 404 && e.getCause() instanceof IllegalArgumentException bad) {
            // JAX-RS answers 404 when a query or path parameter does not convert; the caller sent bad input.
            return ErrorResponses.build(request, 400, "Bad Request", "A parameter has an invalid value: " + bad.getMessage(), null);
        }
        String detail = e.getMessage() != null && !e.getMessage().startsWith("HTTP ") ? e.getMessage()
                : defaultDetail(status);
        return ErrorResponses.build(request, status, ErrorResponses.title(status), detail, null);
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e, HttpServerRequest request) {
        return ErrorResponses.build(request, 403, "Forbidden", defaultDetail(403), null);
    }

    @ServerExceptionMapper
    public Response notAMember(Membership.NotAMemberException e, HttpServerRequest request) {
        return ErrorResponses.build(request, 403, "Forbidden", e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e, HttpServerRequest request) {
        List<Problem.FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new Problem.FieldError(field(v), v.getMessage())).toList();
        return ErrorResponses.build(request, 400, "Bad Request", "The request has invalid fields.", errors);
    }

    @ServerExceptionMapper(priority = 10_000)
    public Response unexpected(Throwable e, HttpServerRequest request) {
        String requestId = ErrorResponses.requestId(request);
        LOG.errorf(e, "Unexpected error on %s %s (request %s)", request.method(), request.path(), requestId);
        return ErrorResponses.build(request, 500, "Internal Server Error",
                "Something went wrong on our side. Quote request id " + requestId + " when you report it.", null);
    }

    static String defaultDetail(int status) {
        return switch (status) {
            case 401 -> "Sign in first.";
            case 403 -> "You do not have access to this.";
            case 404 -> "There is nothing here. It may have been removed, or it belongs to someone else.";
            case 405 -> "This method is not allowed here.";
            case 406, 415 -> "This media type is not supported here.";
            default -> "The request could not be processed.";
        };
    }

    /** The name of the offending input: the last node of the path ("list.page" → "page"). */
    private static String field(ConstraintViolation<?> v) {
        String name = null;
        for (Path.Node node : v.getPropertyPath()) {
            name = node.getName();
        }
        return name;
    }
}
