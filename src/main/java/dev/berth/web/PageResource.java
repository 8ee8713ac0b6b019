package dev.berth.web;

import dev.berth.storage.BucketService;
import dev.berth.storage.StorageService;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantUsage;
import dev.berth.tenancy.TenantView;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The pages of the foundation: dashboard and the admin landing (features keep their own pages). */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class PageResource {
    @Inject
    CurrentUser user;
    @Inject
    TenantService tenants;
    @Inject
    StorageService storage;
    @Inject
    BucketService buckets;

    @GET
    @Operation(hidden = true)
    public TemplateInstance dashboard() {
        return user.currentTenant().map(t -> Pages.dashboard(t, storageCard(t))).orElseGet(this::withoutTenant);
    }

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

    /** Admins without a tenant get the dashboard without tenant facts; everyone else is told why there is nothing. */
    private TemplateInstance withoutTenant() {
        return user.isAdmin() ? Pages.dashboard(null, null) : Pages.noTenant();
    }

    private StorageCard storageCard(TenantView t) {
        TenantUsage usage = buckets.usage(tenants.idOf(t.slug()));
        return new StorageCard(storage.of(t.slug()), usage.buckets(), usage.storageBytes());
    }
}
