package dev.berth.tenancy;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@Tag(name = "Admin: tenants")
public class AdminTenantResource {
    @Inject
    TenantService tenants;

    public record TenantPage(List<TenantView> items, int page, int size, long total) {
    }

    @GET
    @Operation(summary = "List tenants", description = "Tenants known to Berth, by slug, one page at a time (page from 0).")
    public TenantPage list(@QueryParam("page") @DefaultValue("0") @Min(0) int page,
                           @QueryParam("size") @DefaultValue("50") @Min(1) @Max(500) int size) {
        return new TenantPage(tenants.list(page, size), page, size, tenants.count());
    }
}
