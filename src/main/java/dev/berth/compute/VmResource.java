package dev.berth.compute;

import dev.berth.common.InvalidInputException;
import dev.berth.common.NotFoundException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenantView;
import jakarta.inject.Inject;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Locale;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import jakarta.validation.Valid;
import dev.berth.web.Paging;

@Path("/api/v1/vms")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Machines")
public class VmResource {
    @Inject
    MachineService machines;
    @Inject
    CurrentUser user;
    @Inject
    StatsHistory history;
    @Inject
    ConsoleService consoles;
    @Inject
    MachineCreation creation;

    /** The counters now, and the rates sampled over the last hour (oldest first). */
    public record StatsView(DomainStats now, List<StatsPoint> lastHour) {
    }

    public record MachinePage(List<MachineView> items, int page, int size, long total) {
    }

    @GET
    @Operation(summary = "My tenant's machines", description = "Live state from each host (UNKNOWN when a host does not answer in time). q searches names; state filters.")
    public MachinePage list(@QueryParam("q") String q, @QueryParam("state") String state,
                            @BeanParam @Valid Paging paging) {
        List<MachineView> all = MachineFilter.apply(machines.machines(tenant()), q, state);
        return new MachinePage(paging.slice(all), paging.page, paging.size, all.size());
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a machine from an image, of a flavour's size",
            description = "Answers 202 once the machine's quota is reserved and a host chosen; follow creation at "
                    + "/api/v1/vms/{id}/creation until status is READY (or FAILED, with the reason). 409 with the reason when "
                    + "it would exceed the machine, vCPU, memory or disk quota, or no host has room; 400 for bad input.")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "202", description = "Being created",
            content = @org.eclipse.microprofile.openapi.annotations.media.Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = MachineCreation.Progress.class)))
    public Response create(MachineCreation.CreateRequest request) {
        MachineCreation.Progress p = creation.create(user.actor(), tenant(), request);
        return Response.accepted(p).location(java.net.URI.create("/api/v1/vms/" + p.id() + "/creation")).build();
    }

    @GET
    @Path("{id}/creation")
    @Operation(summary = "How creating a machine Berth makes goes: status, steps, the reason of a failure",
            description = "wait (0-30 seconds, default 0): while the machine is being created, answer as soon as it is READY "
                    + "or FAILED, or after that many seconds with its progress so far.")
    @io.smallrye.common.annotation.RunOnVirtualThread // a waiting request holds no worker thread
    public MachineCreation.Progress creation(@PathParam("id") long id, @QueryParam("wait") String wait) {
        return creation.progress(tenant(), id, java.time.Duration.ofSeconds(waitSeconds(wait)));
    }

    private static int waitSeconds(String wait) {
        if (wait == null || wait.isBlank()) {
            return 0;
        }
        try {
            int s = Integer.parseInt(wait.trim());
            if (s >= 0 && s <= 30) {
                return s;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw dev.berth.common.InvalidInputException.of("wait", "give whole seconds from 0 to 30");
    }

    @jakarta.ws.rs.DELETE
    @Path("{id}")
    @Operation(summary = "Delete a machine Berth created", description = "Stops and undefines it, deletes its disk, frees its quota. "
            + "confirm must be the machine's name. Machines an administrator assigned cannot be deleted (409).")
    public Response delete(@PathParam("id") long id, @QueryParam("confirm") String confirm) {
        creation.delete(user.actor(), tenant(), id, confirm);
        return Response.noContent().build();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "One machine: facts from its domain definition and tuning advice")
    public MachineService.MachineDetail get(@PathParam("id") long id) {
        return machines.detail(tenant(), id);
    }

    @GET
    @Path("{id}/stats")
    @Operation(summary = "A machine's counters now and its last hour of rates (CPU %, memory, disk and network bytes/s)")
    public StatsView stats(@PathParam("id") long id) {
        DomainStats now = machines.stats(tenant(), id);
        return new StatsView(now, history.of(id));
    }

    @POST
    @Path("{id}/actions/{action}")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "start, shutdown (ACPI), reboot or poweroff", description = "409 with the reason when the machine's state does not allow it.")
    public MachineView act(@PathParam("id") long id, @PathParam("action")
            @org.eclipse.microprofile.openapi.annotations.media.Schema(enumeration = {"start", "shutdown", "reboot", "poweroff"}) String action) {
        PowerAction a;
        try {
            a = PowerAction.valueOf(action.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw InvalidInputException.of("action", "must be start, shutdown, reboot or poweroff");
        }
        return machines.act(user.actor(), tenant(), id, a);
    }

    @POST
    @Path("{id}/console")
    @Consumes(MediaType.WILDCARD)
    @Operation(summary = "A single-use ticket to open the machine's VNC console",
            description = "Open a WebSocket to websocketPath?ticket=<ticket> before expiresAt (default 60 s); it carries the "
                    + "machine's RFB stream as binary frames. 409 with the reason when the machine is not running or has no VNC display.")
    @org.eclipse.microprofile.openapi.annotations.responses.APIResponse(responseCode = "201", description = "The ticket",
            content = @org.eclipse.microprofile.openapi.annotations.media.Content(mediaType = MediaType.APPLICATION_JSON,
                    schema = @org.eclipse.microprofile.openapi.annotations.media.Schema(implementation = ConsoleService.Issued.class)))
    public Response console(@PathParam("id") long id) {
        return Response.status(201).entity(consoles.issue(user.actor(), tenant(), id)).build();
    }

    private String tenant() {
        return user.currentTenant().map(TenantView::slug)
                .orElseThrow(() -> new NotFoundException("You belong to no tenant, so there are no machines to show."));
    }
}
