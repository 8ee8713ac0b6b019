package dev.berth.tenancy;

import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Set;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/me")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Identity")
public class MeResource {
    @Inject
    CurrentUser user;

    /** suspended: the tenant is read-only until an administrator resumes it. */
    public record TenantRef(String slug, String name, boolean suspended) {
        static TenantRef of(TenantView t) {
            return new TenantRef(t.slug(), t.name(), t.suspended());
        }
    }

    public record Me(String username, Set<String> roles, List<TenantRef> tenants, TenantRef currentTenant) {
    }

    @GET
    @Operation(summary = "Who am I", description = "The caller's name, roles, tenants and the tenant this request acts for "
            + "(choose one with the X-Berth-Tenant header).")
    public Me me() {
        return new Me(user.username(), user.roles(),
                user.tenants().stream().map(TenantRef::of).toList(),
                user.currentTenant().map(TenantRef::of).orElse(null));
    }
}
