package dev.berth.audit;

import dev.berth.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.validation.Valid;
import dev.berth.web.Paging;

@Path("/api/v1/admin/audit")
@RolesAllowed(Roles.ADMIN)
@Tag(name = "Admin: audit log")
public class AdminAuditResource {
    @Inject
    AuditLog audit;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Search the audit log", description = "Newest first. from/to are ISO-8601 instants or dates (to is exclusive).")
    public AuditLog.Page search(@BeanParam AuditQuery query,
                                @BeanParam @Valid Paging paging) {
        return audit.search(query.toFilter(), paging.page, paging.size);
    }

    @GET
    @Path("export")
    @Produces("text/csv")
    @Operation(summary = "Export the matching audit events as CSV")
    public Response export(@BeanParam AuditQuery query) {
        return AuditCsv.response(audit, query.toFilter());
    }
}
