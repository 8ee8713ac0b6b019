package dev.berth.audit;

import dev.berth.common.InvalidInputException;
import dev.berth.tenancy.Roles;
import dev.berth.web.FormErrors;
import dev.berth.web.Pager;
import dev.berth.web.Paging;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;

/** The audit log for administrators: filters, pages, CSV export of what the filters select. */
@Path("/admin/audit")
@RolesAllowed(Roles.ADMIN)
public class AuditPages {
    static final int PAGE_SIZE = 50;

    @Inject
    AuditLog audit;

    @CheckedTemplate(basePath = "audit")
    static class Templates {
        static native TemplateInstance list(List<AuditView> events, AuditQuery query, Pager pager, String exportUrl, FormErrors errors);
    }

    @GET
    @Produces(MediaType.TEXT_HTML)
    public Response list(@BeanParam AuditQuery query, @QueryParam("page") @DefaultValue("0") int page,
                         @QueryParam("size") Integer size) {
        int rows = Pager.size(size, PAGE_SIZE);
        var filters = new LinkedHashMap<String, String>();
        filters.put("tenant", query.tenant);
        filters.put("actor", query.actor);
        filters.put("action", query.action);
        filters.put("outcome", query.outcome);
        filters.put("from", query.from);
        filters.put("to", query.to);
        String export = "/admin/audit/export" + Pager.query(filters);
        try {
            AuditLog.Page p = audit.search(query.toFilter(), Paging.clamp(page), rows);
            return Response.ok(Templates.list(p.items(), query, Pager.of("/admin/audit", filters, p.page(), rows, p.total()),
                    export, FormErrors.none())).build();
        } catch (InvalidInputException e) {
            return Response.status(400).entity(Templates.list(List.of(), query, Pager.of("/admin/audit", filters, 0, rows, 0),
                    export, FormErrors.of(e))).build();
        }
    }

    @GET
    @Path("export")
    @Produces("text/csv")
    public Response export(@BeanParam AuditQuery query) {
        return AuditCsv.response(audit, query.toFilter());
    }
}
