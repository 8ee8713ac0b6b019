package dev.berth.compute;

import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.Valid;

@Path("/api/v1/admin/vms")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RolesAllowed(Roles.ADMIN)
@Tag(name = "Admin: machines")
public class AdminVmResource {
    @Inject
    MachineService machines;
    @Inject
    CurrentUser user;
    @Inject
    ConsoleService consoles;

    public record Assign(@NotBlank String tenant, @NotEmpty List<MachineService.@NotNull @Valid DomainRef> domains) {
    }

    public record Assigned(List<Long> ids) {
    }

    public record Unassign(@NotEmpty List<@NotNull Long> ids) {
    }

    @GET
    @Operation(summary = "Discover domains on every enabled KVM host",
            description = "Filter by host name, name (substring) and assigned=true|false. Hosts that did not answer are listed with their error.")
    public MachineService.Discovery discover(@QueryParam("host") String host, @QueryParam("name") String name,
                                             @QueryParam("assigned") Boolean assigned) {
        MachineService.Discovery all = machines.discover();
        String n = name == null ? null : name.toLowerCase(Locale.ROOT);
        return new MachineService.Discovery(all.domains().stream()
                .filter(d -> host == null || host.isBlank() || d.host().equals(host))
                .filter(d -> n == null || n.isBlank() || d.name().toLowerCase(Locale.ROOT).contains(n))
                .filter(d -> assigned == null || assigned == (d.assignmentId() != null))
                .toList(), all.unreachableHosts());
    }

    @POST
    @Path("assignments")
    @Operation(summary = "Assign domains to a tenant", description = "By host id and UUID; all or none; 409 with the reason when the tenant's quota would be exceeded.")
    public Response assign(@Valid Assign body) {
        if (body == null || body.tenant() == null || body.tenant().isBlank()) {
            throw dev.berth.common.InvalidInputException.of("tenant", "is required");
        }
        return Response.status(201).entity(new Assigned(machines.assign(user.actor(), body.tenant().trim(), body.domains()))).build();
    }

    @POST
    @Path("{id}/console")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "A single-use ticket to open any assigned machine's VNC console",
            description = "id is the Berth machine id (the assignment id). As POST /api/v1/vms/{id}/console, for any tenant's machine.")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "201", description = "The ticket",
            content = @org.eclipse.microprofile.openapi.annotations.media.Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = ConsoleService.Issued.class)))
    public Response console(@jakarta.ws.rs.PathParam("id") long id) {
        return Response.status(201).entity(consoles.issueAsAdmin(user.actor(), id)).build();
    }

    @DELETE
    @Path("assignments")
    @Operation(summary = "Unassign machines", description = "By assignment id (the Berth machine id).")
    public Response unassign(@Valid Unassign body) {
        machines.unassign(user.actor(), body == null ? null : body.ids());
        return Response.noContent().build();
    }
}
