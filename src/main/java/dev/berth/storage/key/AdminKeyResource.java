package dev.berth.storage.key;

import dev.berth.storage.bucket.BucketService;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.tenancy.TenantService;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Administrators list and revoke any tenant's keys: no key is orphaned when its creator leaves. */
@Path("/api/v1/admin/tenants/{slug}/keys")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Admin: access keys")
@RolesAllowed(Roles.ADMIN)
public class AdminKeyResource {
    @Inject
    BucketService buckets;
    @Inject
    TenantService tenants;
    @Inject
    CurrentUser user;

    @GET
    @Operation(summary = "Every access key of a tenant, whoever created it")
    public List<KeyView> list(@PathParam("slug") String slug) {
        tenants.get(slug);
        return buckets.allKeys(slug);
    }

    @DELETE
    @Path("{accessKey}")
    @Operation(summary = "Revoke any access key of a tenant")
    public Response revoke(@PathParam("slug") String slug, @PathParam("accessKey") String accessKey) {
        tenants.get(slug);
        buckets.revokeAny(user.actor(), slug, accessKey);
        return Response.noContent().build();
    }
}
