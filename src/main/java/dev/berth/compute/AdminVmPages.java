package dev.berth.compute;

import dev.berth.common.ConflictException;
import dev.berth.common.InvalidInputException;
import dev.berth.tenancy.CurrentUser;
import dev.berth.tenancy.Roles;
import dev.berth.tenancy.TenantService;
import dev.berth.tenancy.TenantView;
import dev.berth.web.Flash;
import io.quarkus.qute.CheckedTemplate;
import io.quarkus.qute.TemplateInstance;
import jakarta.annotation.security.RolesAllowed;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jboss.resteasy.reactive.RestForm;

/** Admin: discover domains on every KVM host, assign them to tenants (within quota), unassign. */
@Path("/admin/vms")
@RolesAllowed(Roles.ADMIN)
@Produces(MediaType.TEXT_HTML)
public class AdminVmPages {
    @Inject
    MachineService machines;
    @Inject
    TenantService tenants;
    @Inject
    CurrentUser user;
    @Inject
    ConsoleService consoles;

    @CheckedTemplate(basePath = "compute")
    static class Templates {
        static native TemplateInstance admin(MachineService.Discovery discovery, List<TenantView> tenants, String host,
                                             String name, String assigned, String error);
    }

    @GET
    public TemplateInstance list(@QueryParam("host") String host, @QueryParam("name") String name, @QueryParam("assigned") String assigned) {
        return page(host, name, assigned, null);
    }

    /** Tuning advice for every domain on every enabled KVM host. */
    @GET
    @Path("advice")
    public TemplateInstance advice() {
        return MachinePages.Templates.advice(null, machines.adviceSummary(null));
    }

    /** Any assigned machine's console (id: the Berth machine id), for administrators. */
    @GET
    @Path("{id}/console")
    public TemplateInstance console(@jakarta.ws.rs.PathParam("id") long id) {
        return MachinePages.Templates.console(consoles.availabilityAsAdmin(id), "/admin/vms/" + id + "/console/ticket",
                "/admin/vms", "admin");
    }

    @POST
    @Path("{id}/console/ticket")
    @Consumes(MediaType.WILDCARD)
    @Produces(MediaType.APPLICATION_JSON)
    public ConsoleService.Issued consoleTicket(@jakarta.ws.rs.PathParam("id") long id) {
        return consoles.issueAsAdmin(user.actor(), id);
    }

    /** Checkboxes post "domain=<hostId>/<uuid>" for every ticked domain. */
    @POST
    @Path("assign")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response assign(@RestForm String tenant, @RestForm("domain") List<String> domains) {
        try {
            var refs = new ArrayList<MachineService.DomainRef>();
            for (String d : domains == null ? List.<String>of() : domains) {
                int slash = d.indexOf('/');
                if (slash < 1) {
                    throw InvalidInputException.of("domain", "'" + d + "' is not host/uuid");
                }
                refs.add(new MachineService.DomainRef(Long.parseLong(d.substring(0, slash)), d.substring(slash + 1)));
            }
            if (tenant == null || tenant.isBlank()) {
                throw InvalidInputException.of("tenant", "choose a tenant");
            }
            List<Long> ids = machines.assign(user.actor(), tenant, refs);
            return Flash.redirect("/admin/vms", ids.size() + " machine(s) assigned to " + tenant + ".");
        } catch (InvalidInputException e) {
            return Response.status(400).entity(page(null, null, null, e.errors().get(0).field() + ": " + e.errors().get(0).message())).build();
        } catch (ConflictException | NumberFormatException e) {
            return Response.status(409).entity(page(null, null, null, e.getMessage())).build();
        }
    }

    @POST
    @Path("unassign")
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public Response unassign(@RestForm long id) {
        machines.unassign(user.actor(), List.of(id));
        return Flash.redirect("/admin/vms", "Machine unassigned.");
    }

    private TemplateInstance page(String host, String name, String assigned, String error) {
        MachineService.Discovery all = machines.discover();
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        var shown = all.domains().stream()
                .filter(d -> host == null || host.isBlank() || d.host().equals(host))
                .filter(d -> n.isEmpty() || d.name().toLowerCase(Locale.ROOT).contains(n))
                .filter(d -> assigned == null || assigned.isBlank() || ("yes".equals(assigned)) == (d.assignmentId() != null))
                .toList();
        return Templates.admin(new MachineService.Discovery(shown, all.unreachableHosts()), tenants.list(0, 500),
                host == null ? "" : host, name == null ? "" : name, assigned == null ? "" : assigned, error);
    }
}
