package dev.berth.storage.instance;

import dev.berth.common.NotFoundException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.validation.Valid;
import dev.berth.web.Paging;

@Path("/api/v1/admin/storage")
@Produces(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@Tag(name = "Admin: storage")
public class AdminStorageResource {
    @Inject
    StorageService storage;
    @Inject
    CurrentUser user;

    @GET
    @Operation(summary = "Every tenant's instance", description = "Host, port, status, limits, uptime, last error; and containers with Berth labels but no record (orphans), as the reconciler last saw them.")
    public StorageService.AdminPage list(@BeanParam @Valid Paging paging) {
        return storage.list(paging.page, paging.size);
    }

    @POST
    @Path("{id}/{action}")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "suspend (stop and keep stopped), resume, or reconcile-usage",
            description = "reconcile-usage lists every bucket of the instance in full now and corrects the usage kept from its events.")
    public StorageView act(@PathParam("id") long id, @PathParam("action")
            @org.eclipse.microprofile.openapi.annotations.media.Schema(enumeration = {"suspend", "resume", "reconcile-usage"}) String action) {
        return switch (action) {
            case "suspend" -> storage.suspend(user.actor(), id);
            case "resume" -> storage.resume(user.actor(), id);
            case "reconcile-usage" -> storage.reconcileUsage(user.actor(), id);
            default -> throw new NotFoundException("There is no action '" + action + "': use suspend, resume or reconcile-usage.");
        };
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Delete an instance", description = "data=keep keeps the volume (a new activation finds the data), data=delete removes it. confirm must be the tenant's slug.")
    public Response delete(@PathParam("id") long id, @QueryParam("data") String data, @QueryParam("confirm") String confirm) {
        storage.delete(user.actor(), id, data, confirm);
        return Response.noContent().build();
    }
}
