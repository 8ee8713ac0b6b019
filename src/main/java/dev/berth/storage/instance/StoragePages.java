package dev.berth.storage.instance;

import dev.berth.common.ConflictException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenantView;
import dev.berth.web.Flash;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.Optional;

/** The tenant's Storage page: activate, then watch the instance become ready (htmx polls the status part). */
@Path("/storage")
@Produces(MediaType.TEXT_HTML)
public class StoragePages {
    @Inject
    StorageService storage;
    @Inject
    CurrentUser user;
    @Inject
    TlsAuthority tls;

    /** The CA certificate as a file to download (the same as GET /api/v1/storage/ca). */
    @GET
    @Path("ca.crt")
    @Produces("application/x-pem-file")
    public Response ca() {
        return Response.ok(tls.caPem()).header("Content-Disposition", "attachment; filename=\"berth-ca.crt\"").build();
    }

    @CheckedTemplate(basePath = "storage")
    static class Templates {
        static native TemplateInstance page(TenantView tenant, StorageView view);

        static native TemplateInstance status(StorageView view, String message, boolean failed);
    }

    @GET
    public Response page() {
        Optional<TenantView> tenant = user.currentTenant();
        if (tenant.isEmpty()) { // admins see every instance in the admin section; others are told why there is none
            return user.isAdmin() ? Response.seeOther(URI.create("/admin/storage")).build()
                    : Response.ok(dev.berth.web.Pages.noTenant()).build();
        }
        return Response.ok(Templates.page(tenant.get(), storage.of(tenant.get().slug()))).build();
    }

    /** The status part alone, which the page polls while the instance is on its way. */
    @GET
    @Path("status")
    public TemplateInstance status() {
        return Templates.status(storage.of(tenant()), null, false);
    }

    @POST
    @Path("activate")
    @Consumes(MediaType.WILDCARD)
    public Response activate(@HeaderParam("HX-Request") String htmx) {
        String tenant = tenant();
        String message;
        boolean failed = false;
        StorageView view;
        try {
            StorageService.Activation a = storage.activate(user.actor(), tenant);
            view = a.instance();
            message = a.created() ? "Storage is being activated." : "Storage was already activated.";
        } catch (ConflictException e) {
            view = storage.of(tenant);
            message = e.getMessage();
            failed = true;
        }
        if (htmx != null) {
            return Response.ok(Templates.status(view, message, failed)).build();
        }
        return Flash.redirect("/storage", message);
    }

    private String tenant() {
        return user.currentTenant().map(TenantView::slug)
                .orElseThrow(() -> new dev.berth.common.NotFoundException("You belong to no tenant, so there is no storage."));
    }
}
