package dev.berth.compute;

import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.TenantView;
import dev.berth.web.Flash;
import dev.berth.web.Pager;
import dev.berth.web.Paging;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The tenant's machine pages: a searchable, paged list and a detail page with confirmed power actions. */
@Path("/machines")
@Produces(MediaType.TEXT_HTML)
public class MachinePages {
    static final int PAGE_SIZE = 50;

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
    @Inject
    Catalog catalog;

    @CheckedTemplate(basePath = "compute")
    static class Templates {
        static native TemplateInstance list(TenantView tenant, List<MachineView> machines, String q, String state, Pager pager, String error);

        static native TemplateInstance detail(MachineService.MachineDetail m);

        static native TemplateInstance state(MachineView machine, String message, boolean failed, String display, String consoleWhy);

        static native TemplateInstance graphs(long id, List<Graph> graphs);

        static native TemplateInstance advice(String scope, List<MachineService.AdviceRow> rows);

        static native TemplateInstance console(ConsoleService.Availability a, String ticketUrl, String backUrl, String section);

        static native TemplateInstance create(List<Catalog.OfferedImage> images, List<Catalog.FlavourView> flavours,
                                              MachineCreation.CreateRequest typed, dev.berth.web.FormErrors errors);

        static native TemplateInstance creation(MachineCreation.Progress p);

        static native TemplateInstance creationStatus(MachineCreation.Progress p);

        static native TemplateInstance confirmDelete(MachineCreation.Progress p, dev.berth.web.FormErrors errors);
    }

    // ------------------------------------------------------------------ self-service: create and delete (issue 20)

    @GET
    @Path("new")
    public TemplateInstance createForm() {
        String tenant = tenant();
        return Templates.create(catalog.offeredImages(), catalog.offeredFlavours(tenant),
                new MachineCreation.CreateRequest("", null, null, null, null, null), dev.berth.web.FormErrors.none());
    }

    @POST
    @Path("new")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response create(@org.jboss.resteasy.reactive.RestForm String name, @org.jboss.resteasy.reactive.RestForm String image,
                           @org.jboss.resteasy.reactive.RestForm String flavour, @org.jboss.resteasy.reactive.RestForm String sshKey) {
        String tenant = tenant();
        var typed = new MachineCreation.CreateRequest(name, image, flavour, null, null, sshKey == null || sshKey.isBlank() ? null : sshKey);
        try {
            MachineCreation.Progress p = creation.create(user.actor(), tenant, typed);
            return Response.seeOther(java.net.URI.create("/machines/" + p.id() + "/creation")).build();
        } catch (InvalidInputException e) {
            return Response.status(400).entity(Templates.create(catalog.offeredImages(), catalog.offeredFlavours(tenant), typed,
                    dev.berth.web.FormErrors.of(e))).build();
        } catch (ConflictException e) {
            return Response.status(409).entity(Templates.create(catalog.offeredImages(), catalog.offeredFlavours(tenant), typed,
                    dev.berth.web.FormErrors.message(e.getMessage()))).build();
        }
    }

    /** The creation's steps; the status part polls itself while the machine is being created. */
    @GET
    @Path("{id}/creation")
    public TemplateInstance creation(@PathParam("id") long id) {
        return Templates.creation(creation.progress(tenant(), id));
    }

    @GET
    @Path("{id}/creation/status")
    public TemplateInstance creationStatus(@PathParam("id") long id) {
        return Templates.creationStatus(creation.progress(tenant(), id));
    }

    @GET
    @Path("{id}/delete")
    public TemplateInstance confirmDelete(@PathParam("id") long id) {
        return Templates.confirmDelete(creation.progress(tenant(), id), dev.berth.web.FormErrors.none());
    }

    @POST
    @Path("{id}/delete")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response delete(@PathParam("id") long id, @org.jboss.resteasy.reactive.RestForm String confirm) {
        String tenant = tenant();
        MachineCreation.Progress p = creation.progress(tenant, id);
        try {
            creation.delete(user.actor(), tenant, id, confirm);
        } catch (InvalidInputException e) {
            return Response.status(400).entity(Templates.confirmDelete(p, dev.berth.web.FormErrors.of(e))).build();
        } catch (ConflictException e) {
            return Response.status(409).entity(Templates.confirmDelete(p, dev.berth.web.FormErrors.message(e.getMessage()))).build();
        }
        return Flash.redirect("/machines", "Machine " + p.name() + " deleted, with its disk.");
    }

    @GET
    public Response list(@QueryParam("q") String q, @QueryParam("state") String state,
                         @QueryParam("page") @DefaultValue("0") int page, @QueryParam("size") Integer size) {
        int rows = Pager.size(size, PAGE_SIZE);
        Optional<TenantView> tenant = user.currentTenant();
        if (tenant.isEmpty()) { // admins manage machines in the admin section; others are told why there are none
            return user.isAdmin() ? Response.seeOther(java.net.URI.create("/admin/vms")).build()
                    : Response.ok(dev.berth.web.Pages.noTenant()).build();
        }
        var filters = new LinkedHashMap<String, String>();
        filters.put("q", q);
        filters.put("state", state);
        try {
            List<MachineView> all = MachineFilter.apply(machines.machines(tenant.get().slug()), q, state);
            int p = Paging.clamp(page);
            return Response.ok(Templates.list(tenant.get(), new Paging(p, rows).slice(all),
                    q == null ? "" : q, state == null ? "" : state, Pager.of("/machines", filters, p, rows, all.size()), null)).build();
        } catch (InvalidInputException e) {
            return Response.status(400).entity(Templates.list(tenant.get(), List.of(), q == null ? "" : q, "",
                    Pager.of("/machines", filters, 0, rows, 0), e.errors().get(0).message())).build();
        }
    }

    /** Tuning advice for all of the tenant's machines at once. */
    @GET
    @Path("advice")
    public TemplateInstance advice() {
        String tenant = tenant();
        return Templates.advice(tenant, machines.adviceSummary(tenant));
    }

    @GET
    @Path("{id}")
    public TemplateInstance detail(@PathParam("id") long id) {
        return Templates.detail(machines.detail(tenant(), id));
    }

    /** Power actions: an htmx fragment with the new state (or the refusal), or a redirect with a flash without JavaScript. */
    @POST
    @Path("{id}/actions/{action}")
    @Consumes(MediaType.WILDCARD)
    public Response act(@PathParam("id") long id, @PathParam("action") String action, @HeaderParam("HX-Request") String htmx,
                        @QueryParam("display") String display) {
        String tenant = tenant();
        PowerAction a;
        try {
            a = PowerAction.valueOf(action.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new jakarta.ws.rs.NotFoundException();
        }
        String message;
        boolean failed = false;
        MachineView after;
        try {
            after = machines.act(user.actor(), tenant, id, a);
            message = switch (a) {
                case START -> "Started.";
                case SHUTDOWN -> "Shutdown requested (ACPI); the guest decides when it is off.";
                case REBOOT -> "Reboot requested.";
                case POWEROFF -> "Forced off.";
            };
        } catch (ConflictException e) {
            after = machines.machine(tenant, id);
            message = e.getMessage();
            failed = true;
        }
        if (htmx != null) {
            String d = ConsoleRules.display(display);
            return Response.ok(Templates.state(after, message, failed, d, ConsoleRules.buttonRefusal(after, d))).build(); // htmx swaps only 2xx; the fragment says it failed
        }
        return Flash.redirect("/machines/" + id, message);
    }

    /** The machine's screen in noVNC, or why it has none now (shut off, no VNC display, host silent). */
    @GET
    @Path("{id}/console")
    public TemplateInstance console(@PathParam("id") long id) {
        return Templates.console(consoles.availability(tenant(), id), "/machines/" + id + "/console/ticket",
                "/machines/" + id, "machines");
    }

    /** A fresh ticket for the console page (the session cookie authenticates this; the ticket the WebSocket). */
    @POST
    @Path("{id}/console/ticket")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public ConsoleService.Issued consoleTicket(@PathParam("id") long id) {
        return consoles.issue(user.actor(), tenant(), id);
    }

    /** The last hour's graphs, refreshed by the detail page. */
    @GET
    @Path("{id}/graphs")
    public TemplateInstance graphs(@PathParam("id") long id) {
        MachineView machine = machines.machine(tenant(), id); // ownership: another tenant's id is unknown here too
        return Templates.graphs(id, Graph.all(history.of(id), machine.memoryBytes()));
    }

    /** The current state only, for the detail page to refresh itself without a full reload. */
    @GET
    @Path("{id}/state")
    public TemplateInstance state(@PathParam("id") long id, @QueryParam("display") String display) {
        MachineView machine = machines.machine(tenant(), id);
        String d = ConsoleRules.display(display); // what the detail page saw; the console page checks again
        return Templates.state(machine, null, false, d, ConsoleRules.buttonRefusal(machine, d));
    }

    private String tenant() {
        return user.currentTenant().map(TenantView::slug)
                .orElseThrow(() -> new dev.berth.common.NotFoundException("You belong to no tenant, so there are no machines."));
    }
}
