package dev.berth.tenancy;

import dev.berth.audit.AuditFilter;
import dev.berth.audit.AuditLog;
import dev.berth.audit.AuditView;
import dev.berth.audit.Outcome;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** The tenant's usage against its quota: bars, what is refused now and why, and the last refused attempts. */
@Path("/usage")
@Produces(MediaType.TEXT_HTML)
public class UsagePages {
    static final int RECENT = 10;

    @Inject
    CurrentUser user;
    @Inject
    TenantService tenants;
    @Inject
    AuditLog audit;

    @CheckedTemplate(basePath = "tenancy")
    static class Templates {
        static native TemplateInstance usage(TenantView tenant, List<Meter> meters, List<String> refusals, List<AuditView> refused);
    }

    @GET
    public Response usage() {
        Optional<TenantView> tenant = user.currentTenant();
        if (tenant.isEmpty()) {
            return user.isAdmin() ? Response.seeOther(URI.create("/admin/tenants")).build()
                    : Response.ok(dev.berth.web.Pages.noTenant()).build();
        }
        String slug = tenant.get().slug();
        List<Meter> meters = Meter.of(tenants.quota(slug), tenants.usage(slug));
        List<AuditView> refused = audit.search(new AuditFilter(slug, null, null, Outcome.FAILED, null, null), 0, RECENT).items();
        return Response.ok(Templates.usage(tenant.get(), meters, UsageRefusals.of(meters), refused)).build();
    }
}
