package dev.berth.tenancy;

import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.validation.Valid;
import dev.berth.web.Paging;

@Path("/api/v1/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@Tag(name = "Admin: tenants")
public class AdminTenantResource {
    @Inject
    TenantService tenants;
    @Inject
    CurrentUser user;

    public record NewTenant(String slug, String name) {
    }

    /** Fields left out stay as they are. */
    /** keepDataAccess (with suspended=true): the tenant's access keys keep working; by default they are disabled. */
    public record TenantChange(String name, Boolean suspended, Boolean keepDataAccess) {
    }

    public record TenantDetail(TenantView tenant, QuotaInput quota, TenantUsage usage, List<Meter> meters) {
    }

    @GET
    @Operation(summary = "List tenants", description = "By slug, one page at a time (page from 0); q searches slug and name.")
    public TenantService.TenantPage list(@QueryParam("q") String q,
                                         @BeanParam @Valid Paging paging) {
        return tenants.search(q, paging.page, paging.size);
    }

    @POST
    @Operation(summary = "Create a tenant", description = "Members join through the identity provider's group /tenants/<slug>.")
    public Response create(NewTenant body) {
        TenantView t = tenants.create(user.actor(), body == null ? null : body.slug(), body == null ? null : body.name());
        return Response.created(URI.create("/api/v1/admin/tenants/" + t.slug())).entity(t).build();
    }

    @GET
    @Path("{slug}")
    @Operation(summary = "One tenant with its quota and usage")
    public TenantDetail get(@PathParam("slug") String slug) {
        return detail(slug);
    }

    @PUT
    @Path("{slug}")
    @Operation(summary = "Rename, suspend or resume a tenant")
    public TenantDetail update(@PathParam("slug") String slug, TenantChange change) {
        tenants.get(slug);
        if (change != null && change.name() != null) {
            tenants.rename(user.actor(), slug, change.name());
        }
        if (change != null && change.suspended() != null) {
            tenants.setSuspended(user.actor(), slug, change.suspended(), Boolean.TRUE.equals(change.keepDataAccess()));
        }
        return detail(slug);
    }

    @GET
    @Path("{slug}/quota")
    @Operation(summary = "A tenant's quota", description = "Sizes in binary units, as the form shows them.")
    public QuotaInput quota(@PathParam("slug") String slug) {
        return tenants.quota(slug).asInput();
    }

    @PUT
    @Path("{slug}/quota")
    @Operation(summary = "Set a tenant's quota", description = "Sizes accept units (500M, 20 GiB, 1.5T); every field is required.")
    public QuotaInput setQuota(@PathParam("slug") String slug, QuotaInput input) {
        tenants.get(slug);
        if (input == null) {
            throw dev.berth.common.InvalidInputException.of("body", "is required");
        }
        return tenants.setQuota(user.actor(), slug, input).asInput();
    }

    private TenantDetail detail(String slug) {
        TenantView t = tenants.get(slug);
        QuotaLimits q = tenants.quota(slug);
        TenantUsage u = tenants.usage(slug);
        return new TenantDetail(t, q.asInput(), u, Meter.of(q, u));
    }
}
