package dev.berth.web;

import dev.berth.tenancy.Roles;
import dev.berth.tenancy.TenantService;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The pages of the foundation: the admin landing and signing out (features, and the dashboard, keep their own). */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class PageResource {
    @Inject
    TenantService tenants;

    @GET
    @Path("admin")
    @RolesAllowed(Roles.ADMIN)
    @Operation(hidden = true)
    public TemplateInstance admin() {
        return Pages.admin(tenants.count(), tenants.list(0, 20));
    }

    @GET
    @Path("signed-out")
    @Operation(hidden = true)
    public TemplateInstance signedOut() {
        return Pages.signedOut();
    }

    /** GET /logout lands here (SameOriginFilter): a link must not sign anyone out, the button on this page does. */
    @GET
    @Path("sign-out")
    @Operation(hidden = true)
    public TemplateInstance signOut() {
        return Pages.signOut();
    }
}
