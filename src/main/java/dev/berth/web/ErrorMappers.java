package dev.berth.web;

import dev.berth.audit.AuditLog;
import dev.berth.audit.Outcome;
import dev.berth.common.ConflictException;
import dev.berth.common.FieldError;
import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.common.RequestIds;
import dev.berth.tenancy.Membership;
import dev.berth.tenancy.TenantSuspendedException;
import io.quarkus.security.ForbiddenException;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.vertx.http.runtime.CurrentVertxRequest;
import io.vertx.ext.web.RoutingContext;
import jakarta.inject.Inject;
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

    @Inject
    CurrentVertxRequest current;
    @Inject
    SecurityIdentity identity;
    @Inject
    AuditLog audit;

    @ServerExceptionMapper
    public Response webApplication(WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status >= 500) {
            return unexpected(e);
        }
        if (status == 404 && e.getCause() instanceof IllegalArgumentException bad) {
            // JAX-RS answers 404 when a query or path parameter does not convert; the caller sent bad input.
            return build(400, "Bad Request", "A parameter has an invalid value: " + bad.getMessage(), null);
        }
        if (status == 403) {
            denied(null, e.getMessage());
        }
        // The framework's own 404 ("Unable to find matching target resource method") speaks to developers, not users.
        boolean ownWords = e.getMessage() != null && !e.getMessage().startsWith("HTTP ")
                && !(e instanceof jakarta.ws.rs.NotFoundException);
        String detail = ownWords ? e.getMessage() : defaultDetail(status);
        return build(status, ErrorResponses.title(status), detail, null);
    }

    @ServerExceptionMapper
    public Response forbidden(ForbiddenException e) {
        denied(null, "role required");
        return build(403, "Forbidden", defaultDetail(403), null);
    }

    @ServerExceptionMapper
    public Response notAMember(Membership.NotAMemberException e) {
        denied(null, e.getMessage());
        return build(403, "Forbidden", e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response suspended(TenantSuspendedException e) {
        denied(e.slug(), e.getMessage());
        return build(403, "Forbidden", e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response invalidInput(InvalidInputException e) {
        return build(400, "Bad Request", "The request has invalid fields: " + summary(e.errors()), e.errors());
    }

    @ServerExceptionMapper
    public Response notFound(NotFoundException e) {
        return build(404, "Not Found", e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response conflict(ConflictException e) {
        return build(409, "Conflict", e.getMessage(), null);
    }

    @ServerExceptionMapper
    public Response invalid(ConstraintViolationException e) {
        List<FieldError> errors = e.getConstraintViolations().stream()
                .map(v -> new FieldError(field(v), v.getMessage())).toList();
        return build(400, "Bad Request", "The request has invalid fields: " + summary(errors), errors);
    }

    @ServerExceptionMapper(priority = 10_000)
    public Response unexpected(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.hibernate.exception.ConstraintViolationException) {
                // Two changes raced past the service's checks; the database kept its invariants.
                return build(409, "Conflict", "This conflicts with a change made at the same moment. Reload and try again.", null);
            }
            if (databaseUnavailable(t)) {
                // PostgreSQL restarting or unreachable: say so, and that it is worth retrying; no stack trace per request.
                LOG.warnf("Database unavailable on %s: %s", path(), t.getMessage());
                Response r = build(503, "Service Unavailable",
                        "The database is unavailable right now; nothing was changed. Try again in a few seconds.", null);
                return Response.fromResponse(r).header("Retry-After", "5").build();
            }
            if (t instanceof org.hibernate.exception.DataException) {
                // The database cannot hold a value as sent (a NUL character, which PostgreSQL refuses in text): bad input.
                return build(400, "Bad Request", "The request holds a value that cannot be stored, such as a NUL character.", null);
            }
        }
        RoutingContext ctx = current.getCurrent();
        String requestId = RequestIds.of(ctx);
        LOG.errorf(e, "Unexpected error on %s %s (request %s)", ctx == null ? "?" : ctx.request().method(),
                ctx == null ? "?" : ctx.request().path(), requestId);
        return build(500, "Internal Server Error",
                "Something went wrong on our side. Quote request id " + requestId + " when you report it.", null);
    }

    /**
     * The connection to the database failed or was cut: no connection could be had (SQL state class 08), or the server
     * ended it (57P01 administrator shutdown, 57P02 crash shutdown, 57P03 cannot connect now).
     */
    static boolean databaseUnavailable(Throwable t) {
        if (t instanceof org.hibernate.exception.JDBCConnectionException || t instanceof java.sql.SQLTransientConnectionException
                || t instanceof java.sql.SQLNonTransientConnectionException) {
            return true;
        }
        String state = t instanceof java.sql.SQLException sql ? sql.getSQLState()
                : t instanceof org.hibernate.JDBCException jdbc ? jdbc.getSQLState() : null;
        return state != null && (state.startsWith("08") || state.startsWith("57P0"));
    }

    private String path() {
        RoutingContext ctx = current.getCurrent();
        return ctx == null ? "?" : ctx.request().method() + " " + ctx.request().path();
    }

    private Response build(int status, String title, String detail, List<FieldError> errors) {
        return ErrorResponses.build(current.getCurrent(), status, title, detail, errors);
    }

    /** Every refused attempt on a resource is audited: who, what, and why. */
    private void denied(String tenant, String reason) {
        RoutingContext ctx = current.getCurrent();
        String actor = identity.isAnonymous() ? "anonymous" : identity.getPrincipal().getName();
        String target = ctx == null ? null : ctx.request().method() + " " + ctx.request().path();
        audit.recordSoon(actor, tenant, "access", target, Outcome.DENIED, reason, RequestIds.of(ctx));
    }

    private static String summary(List<FieldError> errors) {
        return String.join("; ", errors.stream().map(e -> e.field() + " " + e.message()).toList());
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
