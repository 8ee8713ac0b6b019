package dev.berth.hosts;

import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/v1/admin/hosts")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@Tag(name = "Admin: hosts")
public class AdminHostResource {
    @Inject
    HostService hosts;
    @Inject
    HostProber prober;
    @Inject
    CurrentUser user;

    @GET
    @Operation(summary = "List hosts", description = "Every registered host with its last probe and capacity. Never waits on a host.")
    public List<HostView> list() {
        return hosts.list();
    }

    @POST
    @Operation(summary = "Register a host")
    public Response create(HostInput input) {
        HostView created = hosts.create(user.actor(), input);
        return Response.created(URI.create("/api/v1/admin/hosts/" + created.id())).entity(created).build();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One host")
    public HostView get(@PathParam("id") long id) {
        return hosts.get(id);
    }

    @PUT
    @Path("{id}")
    @Operation(summary = "Edit a host", description = "An empty tlsKeyPem keeps the stored key.")
    public HostView update(@PathParam("id") long id, HostInput input) {
        return hosts.update(user.actor(), id, input);
    }

    @DELETE
    @Path("{id}")
    @Operation(summary = "Remove a host", description = "409 while tenants' resources live on it; the problem says which.")
    public Response delete(@PathParam("id") long id) {
        hosts.delete(user.actor(), id);
        return Response.noContent().build();
    }

    @POST
    @Path("{id}/probe")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "Test the connection now", description = "Answers within the probe timeout with the host's facts or the exact error.")
    public HostView probe(@PathParam("id") long id) {
        return prober.probe(id);
    }
}
