package dev.berth.dashboard;

import dev.berth.compute.MachineService;
import dev.berth.storage.instance.StorageService;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Meter;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantUsage;
import dev.berth.tenancy.TenantView;
import dev.berth.web.Pages;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;

/** The dashboard: what the tenant has, in what state, and how much of its quota it uses. */
@Path("/")
@Produces(MediaType.TEXT_HTML)
public class DashboardResource {
    @Inject
    CurrentUser user;
    @Inject
    TenantService tenants;
    @Inject
    StorageService storage;
    @Inject
    MachineService machines;

    @GET
    @Operation(hidden = true)
    public TemplateInstance dashboard() {
        return user.currentTenant().map(this::of).orElseGet(this::withoutTenant);
    }

    private TemplateInstance of(TenantView t) {
        // Usage comes from the database (what the storage pass last measured), machine states from the hosts,
        // through the same shared calls as the machine list.
        TenantUsage usage = tenants.usage(t.slug());
        return DashboardPages.dashboard(t, MachinesCard.of(machines.machines(t.slug())),
                new StorageCard(storage.of(t.slug()), usage.buckets(), usage.storageBytes()),
                Meter.of(tenants.quota(t.slug()), usage));
    }

    /** Admins without a tenant get the dashboard without tenant facts; everyone else is told why there is nothing. */
    private TemplateInstance withoutTenant() {
        return user.isAdmin() ? DashboardPages.dashboard(null, null, null, null) : Pages.noTenant();
    }
}
