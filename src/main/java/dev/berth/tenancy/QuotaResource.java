package dev.berth.tenancy;

import dev.berth.common.NotFoundException;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/quota")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Quota")
public class QuotaResource {
    @Inject
    CurrentUser user;
    @Inject
    TenantService tenants;

    public record MyQuota(String tenant, QuotaInput quota, TenantUsage usage, List<Meter> meters) {
    }

    @GET
    @Operation(summary = "My tenant's quota and usage", description = "For the current tenant (X-Berth-Tenant picks one).")
    public MyQuota get() {
        TenantView t = user.currentTenant().orElseThrow(() -> new NotFoundException("You belong to no tenant, so there is no quota to show."));
        QuotaLimits q = tenants.quota(t.slug());
        TenantUsage u = tenants.usage(t.slug());
        return new MyQuota(t.slug(), q.asInput(), u, Meter.of(q, u));
    }
}
